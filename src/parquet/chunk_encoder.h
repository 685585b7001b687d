// Encodes one buffered column chunk into pages (a dictionary page if the chunk is
// dictionary-encoded, then ZSTD-compressed v1 data pages of page_rows rows with statistics)
// and writes them to the sink. Keeps its scratch buffers and ZSTD context across chunks.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"
#include "parquet/column_buffer.h"
#include "parquet/metadata.h"
#include "parquet/writer.h"

struct ZSTD_CCtx_s;

namespace coinlake::parquet {

class ChunkEncoder {
 public:
  explicit ChunkEncoder(const WriterOptions& options);
  ~ChunkEncoder();
  ChunkEncoder(const ChunkEncoder&) = delete;
  ChunkEncoder& operator=(const ChunkEncoder&) = delete;

  // Writes `column` (num_rows rows) at file offset `offset`, which it advances.
  StatusOr<format::ColumnMetaData> Write(const Column& spec, const ColumnBuffer& column,
                                         int64_t num_rows, Sink& sink, int64_t& offset);

 private:
  bool BuildDictionaryOf(const ColumnBuffer& column);
  void AppendDictionaryPage(const ColumnBuffer& column);
  // Compresses page_ and writes it with `header` (sizes filled in here).
  Status WritePage(format::PageHeader header, Sink& sink, int64_t& offset,
                   format::ColumnMetaData& meta);

  const WriterOptions& options_;
  ZSTD_CCtx_s* cctx_;
  std::string page_, compressed_, header_, levels_;
  std::vector<uint32_t> indices_;  // dictionary index of each present value
  std::vector<uint32_t> entries_;  // position of each dictionary entry's first occurrence
  std::vector<uint32_t> seen_;     // per entry: the last page (+1) whose statistics include it
};

}  // namespace coinlake::parquet
