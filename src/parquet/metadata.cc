#include "parquet/metadata.h"

#include "parquet/thrift_compact.h"

namespace coinlake::parquet::format {
namespace {

using thrift::CompactWriter;
using thrift::CType;

void WriteStatistics(CompactWriter& w, int16_t id, const Statistics& s) {
  w.BeginStruct(id);
  if (s.max) w.Binary(1, *s.max);
  if (s.min) w.Binary(2, *s.min);
  w.I64(3, s.null_count);
  if (s.max_value) w.Binary(5, *s.max_value);
  if (s.min_value) w.Binary(6, *s.min_value);
  // Values are never truncated, so both bounds are the exact ones.
  if (s.max_value) w.Bool(7, true);
  if (s.min_value) w.Bool(8, true);
  w.EndStruct();
}

void WriteSchemaElement(CompactWriter& w, const SchemaElement& e) {
  w.BeginListStruct();
  if (e.type) w.I32(1, *e.type);
  if (e.repetition) w.I32(3, *e.repetition);
  w.Binary(4, e.name);
  if (e.num_children) w.I32(5, *e.num_children);
  if (e.converted_type) w.I32(6, *e.converted_type);
  if (e.logical != Logical::kNone) {
    w.BeginStruct(10);  // LogicalType, a union
    if (e.logical == Logical::kString) {
      w.BeginStruct(1);  // STRING: StringType {}
      w.EndStruct();
    } else {
      w.BeginStruct(8);  // TIMESTAMP: TimestampType
      w.Bool(1, true);   // isAdjustedToUTC
      w.BeginStruct(2);  // unit: TimeUnit, a union
      w.BeginStruct(2);  // MICROS: MicroSeconds {}
      w.EndStruct();
      w.EndStruct();
      w.EndStruct();
    }
    w.EndStruct();
  }
  w.EndStruct();
}

void WriteColumnChunk(CompactWriter& w, const ColumnMetaData& c) {
  w.BeginListStruct();
  // file_offset (deprecated): where the chunk starts, as most writers now set it.
  w.I64(2, c.dictionary_page_offset.value_or(c.data_page_offset));
  w.BeginStruct(3);
  w.I32(1, c.type);
  w.BeginList(2, CType::kI32, static_cast<int64_t>(c.encodings.size()));
  for (Encoding e : c.encodings) w.ListI32(e);
  w.BeginList(3, CType::kBinary, 1);
  w.ListBinary(c.path);
  w.I32(4, kZstd);
  w.I64(5, c.num_values);
  w.I64(6, c.total_uncompressed_size);
  w.I64(7, c.total_compressed_size);
  w.I64(9, c.data_page_offset);
  if (c.dictionary_page_offset) w.I64(11, *c.dictionary_page_offset);
  WriteStatistics(w, 12, c.statistics);
  w.EndStruct();
  w.EndStruct();
}

}  // namespace

void AppendPageHeader(std::string& out, const PageHeader& h) {
  CompactWriter w(out);
  w.I32(1, h.type);
  w.I32(2, h.uncompressed_page_size);
  w.I32(3, h.compressed_page_size);
  if (h.type == kDictionaryPage) {
    w.BeginStruct(7);
    w.I32(1, h.num_values);
    w.I32(2, kPlain);
    w.EndStruct();
  } else {
    w.BeginStruct(5);
    w.I32(1, h.num_values);
    w.I32(2, h.encoding);
    w.I32(3, kRle);  // definition levels
    w.I32(4, kRle);  // repetition levels (none: the schema is flat)
    if (h.statistics) WriteStatistics(w, 5, *h.statistics);
    w.EndStruct();
  }
  w.EndStruct();
}

void AppendFileMetaData(std::string& out, const FileMetaData& m) {
  CompactWriter w(out);
  w.I32(1, 1);  // version
  w.BeginList(2, CType::kStruct, static_cast<int64_t>(m.schema.size()));
  for (const SchemaElement& e : m.schema) WriteSchemaElement(w, e);
  w.I64(3, m.num_rows);
  w.BeginList(4, CType::kStruct, static_cast<int64_t>(m.row_groups.size()));
  for (const RowGroup& g : m.row_groups) {
    w.BeginListStruct();
    w.BeginList(1, CType::kStruct, static_cast<int64_t>(g.columns.size()));
    for (const ColumnMetaData& c : g.columns) WriteColumnChunk(w, c);
    w.I64(2, g.total_byte_size);
    w.I64(3, g.num_rows);
    w.I64(5, g.file_offset);
    w.I64(6, g.total_compressed_size);
    w.I16(7, g.ordinal);
    w.EndStruct();
  }
  if (!m.key_value_metadata.empty()) {
    w.BeginList(5, CType::kStruct, static_cast<int64_t>(m.key_value_metadata.size()));
    for (const auto& [key, value] : m.key_value_metadata) {
      w.BeginListStruct();
      w.Binary(1, key);
      w.Binary(2, value);
      w.EndStruct();
    }
  }
  w.Binary(6, m.created_by);
  // column_orders: TYPE_ORDER for every leaf, so readers trust min_value/max_value.
  const int64_t leaves = m.schema.empty() ? 0 : static_cast<int64_t>(m.schema.size()) - 1;
  w.BeginList(7, CType::kStruct, leaves);
  for (int64_t i = 0; i < leaves; ++i) {
    w.BeginListStruct();
    w.BeginStruct(1);  // TypeDefinedOrder {}
    w.EndStruct();
    w.EndStruct();
  }
  w.EndStruct();
}

}  // namespace coinlake::parquet::format
