#include "parquet/writer.h"

#include <zstd.h>

#include <algorithm>
#include <set>

#include "common/worker_pool.h"
#include "parquet/column_buffer.h"
#include "parquet/column_writer.h"
#include "parquet/metadata.h"

namespace coinlake::parquet {
namespace {

constexpr std::string_view kMagic = "PAR1";
// Page buffers are reserved up front; past this they grow as rows come.
constexpr int64_t kMaxReserveRows = 1 << 20;

format::SchemaElement ElementOf(const Column& c) {
  format::SchemaElement e;
  e.name = c.name;
  e.repetition = c.nullable ? format::kOptional : format::kRequired;
  switch (c.type) {
    case Type::kInt64:
      e.type = format::kInt64;
      break;
    case Type::kDouble:
      e.type = format::kDouble;
      break;
    case Type::kTimestampMicros:
      e.type = format::kInt64;
      e.converted_type = format::kTimestampMicros;
      e.logical = format::Logical::kTimestampMicrosUtc;
      break;
    case Type::kString:
      e.type = format::kByteArray;
      e.converted_type = format::kUtf8;
      e.logical = format::Logical::kString;
      break;
  }
  return e;
}

}  // namespace

const char* TypeName(Type type) {
  switch (type) {
    case Type::kInt64:
      return "INT64";
    case Type::kDouble:
      return "DOUBLE";
    case Type::kTimestampMicros:
      return "TIMESTAMP";
    case Type::kString:
      return "STRING";
  }
  return "?";
}

struct Writer::Footer {
  format::FileMetaData meta;
};

namespace {

// A page's buffers for `schema`, reserved for `rows` values.
std::vector<ColumnBuffer> PageBuffers(const Schema& schema, size_t rows) {
  std::vector<ColumnBuffer> page(schema.size());
  for (size_t i = 0; i < schema.size(); ++i) {
    ColumnBuffer& c = page[i];
    c.type = schema[i].type;
    c.nullable = schema[i].nullable;
    if (c.nullable) c.defs.reserve(rows);
    switch (c.type) {
      case Type::kInt64:
      case Type::kTimestampMicros:
        c.ints.reserve(rows);
        break;
      case Type::kDouble:
        c.doubles.reserve(rows);
        break;
      case Type::kString:
        c.ends.reserve(rows);
        break;
    }
  }
  return page;
}

}  // namespace

Writer::Writer(Schema schema, WriterOptions options, Sink* sink)
    : schema_(std::move(schema)),
      options_(std::move(options)),
      sink_(sink),
      footer_(std::make_unique<Footer>()) {
  zstd_ = std::make_unique<PageCompressor>(options_.zstd_level);
  const auto reserve =
      static_cast<size_t>(std::min({options_.page_rows, options_.row_group_rows, kMaxReserveRows}));
  columns_ = PageBuffers(schema_, reserve);
  writers_.reserve(schema_.size());
  for (const Column& c : schema_) writers_.emplace_back(c, options_);
  if (options_.encode_threads > 0) {
    in_flight_ = PageBuffers(schema_, reserve);
    for (int i = 0; i < options_.encode_threads; ++i) {
      thread_zstd_.push_back(std::make_unique<PageCompressor>(options_.zstd_level));
    }
    pool_ = std::make_unique<WorkerPool>(static_cast<size_t>(options_.encode_threads));
  }
}

Writer::~Writer() = default;

StatusOr<std::unique_ptr<Writer>> Writer::Create(Schema schema, WriterOptions options, Sink* sink) {
  if (sink == nullptr) return InvalidArgumentError("parquet: no sink");
  if (schema.empty()) return InvalidArgumentError("parquet: a schema needs a column");
  std::set<std::string> names;
  for (const Column& c : schema) {
    if (c.name.empty()) return InvalidArgumentError("parquet: a column has no name");
    if (!names.insert(c.name).second) {
      return InvalidArgumentError("parquet: column " + c.name + " appears twice");
    }
  }
  if (options.row_group_rows <= 0 || options.page_rows <= 0) {
    return InvalidArgumentError("parquet: row_group_rows and page_rows must be positive");
  }
  if (options.zstd_level < ZSTD_minCLevel() || options.zstd_level > ZSTD_maxCLevel()) {
    return InvalidArgumentError("parquet: zstd_level out of range");
  }
  if (options.encode_threads < 0) {
    return InvalidArgumentError("parquet: encode_threads must not be negative");
  }
  std::unique_ptr<Writer> writer(new Writer(std::move(schema), std::move(options), sink));
  RETURN_IF_ERROR(sink->Write(kMagic));
  writer->offset_ = static_cast<int64_t>(kMagic.size());
  return writer;
}

void Writer::Misuse(std::string message) {
  if (error_.ok()) error_ = FailedPreconditionError("parquet: " + std::move(message));
  cursor_ = columns_.size() + 1;  // every later Append* of this row misses too
}

void Writer::AppendInt64(int64_t v) {
  if (cursor_ >= columns_.size() || columns_[cursor_].type != Type::kInt64) {
    return Misuse("AppendInt64 does not match the schema at this column");
  }
  ColumnBuffer& c = columns_[cursor_++];
  if (c.nullable) c.defs.push_back(1);
  c.ints.push_back(v);
}

void Writer::AppendTimestampMicros(int64_t micros) {
  if (cursor_ >= columns_.size() || columns_[cursor_].type != Type::kTimestampMicros) {
    return Misuse("AppendTimestampMicros does not match the schema at this column");
  }
  ColumnBuffer& c = columns_[cursor_++];
  if (c.nullable) c.defs.push_back(1);
  c.ints.push_back(micros);
}

void Writer::AppendDouble(double v) {
  if (cursor_ >= columns_.size() || columns_[cursor_].type != Type::kDouble) {
    return Misuse("AppendDouble does not match the schema at this column");
  }
  ColumnBuffer& c = columns_[cursor_++];
  if (c.nullable) c.defs.push_back(1);
  c.doubles.push_back(v);
}

void Writer::AppendString(std::string_view utf8) {
  if (cursor_ >= columns_.size() || columns_[cursor_].type != Type::kString) {
    return Misuse("AppendString does not match the schema at this column");
  }
  ColumnBuffer& c = columns_[cursor_];
  if (c.bytes.size() + utf8.size() > UINT32_MAX) {
    return Misuse("a row group's strings of one column exceed 4 GiB: lower row_group_rows");
  }
  ++cursor_;
  if (c.nullable) c.defs.push_back(1);
  c.bytes.append(utf8);
  c.ends.push_back(static_cast<uint32_t>(c.bytes.size()));
}

void Writer::AppendNull() {
  if (cursor_ >= columns_.size()) return Misuse("AppendNull past the last column");
  ColumnBuffer& c = columns_[cursor_];
  if (!c.nullable) {
    return Misuse("AppendNull for REQUIRED column " + schema_[cursor_].name + " (" +
                  TypeName(c.type) + ")");
  }
  ++cursor_;
  c.defs.push_back(0);
  ++c.null_count;
}

Status Writer::EndRow() {
  if (!error_.ok()) return error_;
  if (closed_) return FailedPreconditionError("parquet: EndRow after Close");
  if (cursor_ != columns_.size()) {
    Misuse("a row has " + std::to_string(cursor_) + " values for " +
           std::to_string(columns_.size()) + " columns");
    return error_;
  }
  cursor_ = 0;
  ++rows_;
  Status s;
  if (++page_rows_ >= options_.page_rows) s = FlushPage();
  if (s.ok() && ++group_rows_ >= options_.row_group_rows) s = WriteRowGroup();
  if (!s.ok()) error_ = s;
  return error_;
}

Status Writer::EncodePage(std::vector<ColumnBuffer>& page, int64_t rows, size_t first,
                          size_t stride, PageCompressor& zstd) {
  for (size_t i = first; i < page.size(); i += stride) {
    RETURN_IF_ERROR(writers_[i].AddPage(page[i], rows, zstd));
    ColumnBuffer& c = page[i];
    c.defs.clear(), c.ints.clear(), c.doubles.clear(), c.bytes.clear(), c.ends.clear();
    c.null_count = 0;
  }
  return Status::Ok();
}

Status Writer::FinishEncoding() {
  Status first = Status::Ok();
  for (std::future<Status>& task : encoding_) {
    Status s = task.get();
    if (first.ok()) first = s;
  }
  encoding_.clear();
  return first;
}

Status Writer::FlushPage() {
  const int64_t rows = page_rows_;
  page_rows_ = 0;
  if (!pool_) return EncodePage(columns_, rows, 0, 1, *zstd_);
  // Each column's pages are encoded in order (a column's writer keeps its dictionary and
  // statistics from page to page), so the previous page must be done before this one starts.
  RETURN_IF_ERROR(FinishEncoding());
  std::swap(columns_, in_flight_);
  const size_t stride = thread_zstd_.size();
  for (size_t t = 0; t < stride; ++t) {
    encoding_.push_back(pool_->Submit([this, rows, t, stride] {
      return EncodePage(in_flight_, rows, t, stride, *thread_zstd_[t]);
    }));
  }
  return Status::Ok();
}

Status Writer::WriteRowGroup() {
  if (page_rows_ > 0) RETURN_IF_ERROR(FlushPage());
  RETURN_IF_ERROR(FinishEncoding());
  format::RowGroup group;
  group.num_rows = group_rows_;
  group.file_offset = offset_;
  group.ordinal = static_cast<int16_t>(footer_->meta.row_groups.size());
  for (ColumnWriter& w : writers_) {
    ASSIGN_OR_RETURN(format::ColumnMetaData meta, w.WriteChunk(*sink_, offset_, *zstd_));
    group.total_byte_size += meta.total_uncompressed_size;
    group.total_compressed_size += meta.total_compressed_size;
    group.columns.push_back(std::move(meta));
  }
  footer_->meta.num_rows += group_rows_;
  footer_->meta.row_groups.push_back(std::move(group));
  group_rows_ = 0;
  return Status::Ok();
}

Status Writer::Close() {
  if (!error_.ok()) return error_;
  if (closed_) return Status::Ok();
  if (cursor_ != 0) {
    Misuse("Close in the middle of a row");
    return error_;
  }
  closed_ = true;
  if (group_rows_ > 0) RETURN_IF_ERROR(WriteRowGroup());
  for (ColumnBuffer& c : columns_) c.Release();
  for (ColumnBuffer& c : in_flight_) c.Release();

  format::FileMetaData& meta = footer_->meta;
  // The page index, after the row groups: every chunk's ColumnIndex, then every OffsetIndex.
  std::string index;
  for (format::RowGroup& g : meta.row_groups) {
    for (format::ColumnMetaData& c : g.columns) {
      if (!c.column_index) continue;
      const size_t start = index.size();
      format::AppendColumnIndex(index, c);
      c.column_index_offset = offset_ + static_cast<int64_t>(start);
      c.column_index_length = static_cast<int32_t>(index.size() - start);
    }
  }
  for (format::RowGroup& g : meta.row_groups) {
    for (format::ColumnMetaData& c : g.columns) {
      const size_t start = index.size();
      format::AppendOffsetIndex(index, c);
      c.offset_index_offset = offset_ + static_cast<int64_t>(start);
      c.offset_index_length = static_cast<int32_t>(index.size() - start);
    }
  }
  RETURN_IF_ERROR(sink_->Write(index));
  offset_ += static_cast<int64_t>(index.size());

  format::SchemaElement root;
  root.name = "schema";
  root.num_children = static_cast<int32_t>(schema_.size());
  meta.schema.push_back(root);
  for (const Column& c : schema_) meta.schema.push_back(ElementOf(c));
  meta.key_value_metadata = options_.metadata;
  meta.created_by = "coinlake version " COINLAKE_VERSION " (build parquet-writer-1)";
  std::string footer;
  format::AppendFileMetaData(footer, meta);
  const auto length = static_cast<uint32_t>(footer.size());
  footer.append(reinterpret_cast<const char*>(&length), 4);  // little-endian
  footer.append(kMagic);
  return sink_->Write(footer);
}

}  // namespace coinlake::parquet
