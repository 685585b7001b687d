// Encodes one column's pages as they fill and holds them, compressed, until its column chunk
// is written at the end of the row group: so a row group costs its compressed size in memory,
// plus one page of raw values per column, not its raw size.
//
// Encoding per chunk: the first page with values decides between dictionary (RLE_DICTIONARY
// data pages, the PLAIN dictionary page written first when the chunk is) and PLAIN, by which is
// smaller for that page; a dictionary that outgrows max_dictionary_bytes sends the rest of the
// chunk to PLAIN pages (the pages already encoded keep their dictionary).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"
#include "parquet/column_buffer.h"
#include "parquet/dictionary.h"
#include "parquet/metadata.h"
#include "parquet/statistics.h"
#include "parquet/writer.h"

struct ZSTD_CCtx_s;

namespace coinlake::parquet {

// ZSTD, one context for all pages.
class PageCompressor {
 public:
  explicit PageCompressor(int level);
  ~PageCompressor();
  PageCompressor(const PageCompressor&) = delete;
  PageCompressor& operator=(const PageCompressor&) = delete;
  // Compresses `page` and appends its header and the compressed bytes to `out`; adds the
  // sizes (header included) to the totals.
  Status AppendPage(format::PageHeader header, std::string_view page, std::string& out,
                    int64_t& uncompressed_total, int64_t& compressed_total);

 private:
  ZSTD_CCtx_s* cctx_;
  int level_;
  std::string compressed_, header_;
};

class ColumnWriter {
 public:
  ColumnWriter(const Column& spec, const WriterOptions& options);

  // Encodes a page of `rows` rows from `page` (which the caller then clears).
  Status AddPage(const ColumnBuffer& page, int64_t rows, PageCompressor& zstd);
  // Writes the chunk at `offset` (advanced) and starts the next one.
  StatusOr<format::ColumnMetaData> WriteChunk(Sink& sink, int64_t& offset, PageCompressor& zstd);

 private:
  enum class Mode { kUndecided, kDictionary, kPlain };
  // Dictionary indices of the page's values into indices_; false once the dictionary is
  // too big (the chunk goes PLAIN from this page on).
  bool IndexPage(const ColumnBuffer& page);
  bool DictionaryPays(const ColumnBuffer& page) const;
  format::Statistics PageStatistics(const ColumnBuffer& page, bool dictionary, int64_t nulls);

  Column spec_;
  const WriterOptions& options_;
  Mode mode_ = Mode::kUndecided;
  Dictionary dictionary_;
  bool dictionary_pages_ = false;  // some page of this chunk is RLE_DICTIONARY
  std::string pages_;              // this chunk's pages: headers and compressed bodies
  int64_t rows_ = 0, nulls_ = 0;
  int64_t uncompressed_ = 0, compressed_ = 0;
  Int64Stats ints_;
  DoubleStats doubles_;
  ChunkStringStats strings_;
  // Scratch.
  std::string body_, levels_;
  std::vector<uint32_t> indices_;
  std::vector<uint32_t> seen_;  // per dictionary entry: the last page that counted it
  uint32_t page_number_ = 0;
};

}  // namespace coinlake::parquet
