// A Parquet writer for flat tables (one level: no nested or repeated fields), written for
// coinlake's compaction of the raw lake. Columns are INT64, DOUBLE, TIMESTAMP(MICROS, UTC) and
// STRING, REQUIRED or OPTIONAL; pages are ZSTD-compressed v1 data pages, dictionary-encoded per
// column chunk while the dictionary stays small, with statistics per page and per chunk.
// docs/parquet.md says what it writes and how three independent readers check it.
//
// Memory is bounded by one row group, compressed: each page of page_rows rows is encoded and
// compressed as it fills and held per column until the row group is complete, then each column
// chunk is written to the sink and freed. Raw values are held for one page only (two with
// encode_threads).
#pragma once

#include <cstdint>
#include <future>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace coinlake::parquet {

enum class Type {
  kInt64,
  kDouble,
  kTimestampMicros,  // INT64, TIMESTAMP(MICROS, isAdjustedToUTC=true)
  kString,           // BYTE_ARRAY, STRING logical type (UTF8 converted type)
};

// "INT64", "DOUBLE", "TIMESTAMP", "STRING": for messages and the readers' checks.
const char* TypeName(Type type);

struct Column {
  std::string name;
  Type type;
  bool nullable = true;
};
using Schema = std::vector<Column>;

struct WriterOptions {
  int64_t row_group_rows = 1'000'000;  // rows per row group (encoded, written, then freed)
  int64_t page_rows = 20'000;          // rows per data page (engines skip pages by statistics)
  int zstd_level = 3;
  // Dictionary-encode each column chunk (RLE_DICTIONARY) while its dictionary stays small and
  // pays for itself, else PLAIN.
  bool dictionary = true;
  int64_t max_dictionary_bytes = 1 << 20;  // past this a chunk falls back to PLAIN
  // Threads that encode and compress a full page's columns while the caller fills the next
  // page (at the cost of a second page of raw values in memory); 0 encodes in the caller's
  // thread, at EndRow. The file's bytes are the same either way.
  int encode_threads = 0;
  std::vector<std::pair<std::string, std::string>> metadata;  // footer key_value_metadata
};

// Where the file's bytes go, in order.
class Sink {
 public:
  virtual ~Sink() = default;
  virtual Status Write(std::string_view bytes) = 0;
};

class StringSink final : public Sink {
 public:
  Status Write(std::string_view bytes) override;
  const std::string& data() const { return data_; }
  std::string Take() { return std::move(data_); }

 private:
  std::string data_;
};

// A file, created or truncated, written through a buffer of its own.
class FileSink final : public Sink {
 public:
  enum class Sync {
    kOnClose,  // Close() fsyncs: the file is durable once it returns OK
    kNever,    // a scratch file that something else copies (and makes durable)
  };
  static StatusOr<std::unique_ptr<FileSink>> Create(const std::string& path,
                                                    Sync sync = Sync::kOnClose);
  ~FileSink() override;
  Status Write(std::string_view bytes) override;
  // Flushes, fsyncs (Sync::kOnClose) and closes.
  Status Close();

 private:
  FileSink(int fd, std::string path, Sync sync) : fd_(fd), path_(std::move(path)), sync_(sync) {}
  Status Flush();

  int fd_;
  std::string path_;
  Sync sync_;
  std::string buffer_;
};

struct ColumnBuffer;
class ColumnWriter;
class PageCompressor;
}  // namespace coinlake::parquet

namespace coinlake {
class WorkerPool;
}  // namespace coinlake

namespace coinlake::parquet {

class Writer {
 public:
  // Fails for an empty schema, an empty or repeated column name, or options out of range.
  // `sink` must outlive the writer.
  static StatusOr<std::unique_ptr<Writer>> Create(Schema schema, WriterOptions options, Sink* sink);
  ~Writer();

  // One row: exactly one Append* per column, in schema order, then EndRow(). A call of the
  // wrong type, a null in a REQUIRED column or a wrong count is reported by EndRow, and the
  // writer then refuses everything after it (the row group is in an unknown state).
  void AppendInt64(int64_t v);
  void AppendDouble(double v);
  void AppendTimestampMicros(int64_t micros_since_epoch);
  void AppendString(std::string_view utf8);
  void AppendNull();
  // Encodes a page when page_rows are buffered, writes a row group at row_group_rows.
  Status EndRow();
  // Writes the last row group and the footer; the file is complete only after this.
  Status Close();
  // Rows ended so far.
  int64_t rows() const { return rows_; }

 private:
  Writer(Schema schema, WriterOptions options, Sink* sink);
  void Misuse(std::string message);
  Status FlushPage();
  // Encodes the columns of `page` that are `first` modulo `stride` into their writers.
  Status EncodePage(std::vector<ColumnBuffer>& page, int64_t rows, size_t first, size_t stride,
                    PageCompressor& zstd);
  // Waits for the page in flight (encode_threads); its first error, if any.
  Status FinishEncoding();
  Status WriteRowGroup();

  Schema schema_;
  WriterOptions options_;
  Sink* sink_;
  std::vector<ColumnBuffer> columns_;  // the page being filled
  std::vector<ColumnWriter> writers_;  // the row group's encoded pages, per column
  std::unique_ptr<PageCompressor> zstd_;
  // With encode_threads: the page being encoded, one compressor per thread, the tasks.
  std::vector<ColumnBuffer> in_flight_;
  std::vector<std::unique_ptr<PageCompressor>> thread_zstd_;
  std::vector<std::future<Status>> encoding_;
  size_t cursor_ = 0;  // the column the next Append* fills
  int64_t rows_ = 0;
  int64_t page_rows_ = 0;
  int64_t group_rows_ = 0;
  int64_t offset_ = 0;  // bytes written so far
  bool closed_ = false;
  Status error_;  // sticky: the first misuse or write failure
  struct Footer;
  std::unique_ptr<Footer> footer_;
  // Last: destroyed first, so its threads finish with the members above still alive.
  std::unique_ptr<WorkerPool> pool_;
};

}  // namespace coinlake::parquet
