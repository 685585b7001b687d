// Parquet's Thrift structs (parquet.thrift), as far as this writer fills them, and their
// compact-protocol encoding. Field ids are the spec's.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace coinlake::parquet::format {

enum PhysicalType : int32_t { kInt64 = 2, kDouble = 5, kByteArray = 6 };
enum Repetition : int32_t { kRequired = 0, kOptional = 1 };
enum ConvertedType : int32_t { kUtf8 = 0, kTimestampMicros = 10 };
enum Encoding : int32_t { kPlain = 0, kRle = 3, kRleDictionary = 8 };
enum Codec : int32_t { kZstd = 6 };
enum PageType : int32_t { kDataPage = 0, kDictionaryPage = 2 };

struct Statistics {
  std::optional<std::string> max;  // deprecated fields (1, 2): signed order, INT64/DOUBLE only
  std::optional<std::string> min;
  int64_t null_count = 0;
  std::optional<std::string> max_value;
  std::optional<std::string> min_value;
};

struct PageHeader {
  PageType type = kDataPage;
  int32_t uncompressed_page_size = 0;
  int32_t compressed_page_size = 0;
  int32_t num_values = 0;
  Encoding encoding = kPlain;
  std::optional<Statistics> statistics;  // data pages
};

enum class Logical { kNone, kString, kTimestampMicrosUtc };

struct SchemaElement {
  std::optional<PhysicalType> type;  // absent for the root group
  std::optional<Repetition> repetition;
  std::string name;
  std::optional<int32_t> num_children;
  std::optional<ConvertedType> converted_type;
  Logical logical = Logical::kNone;
};

struct ColumnMetaData {
  PhysicalType type = kInt64;
  std::vector<Encoding> encodings;
  std::string path;  // flat schema: path_in_schema has one element
  int64_t num_values = 0;
  int64_t total_uncompressed_size = 0;
  int64_t total_compressed_size = 0;
  int64_t data_page_offset = 0;
  std::optional<int64_t> dictionary_page_offset;
  Statistics statistics;
};

struct RowGroup {
  std::vector<ColumnMetaData> columns;
  int64_t total_byte_size = 0;
  int64_t num_rows = 0;
  int64_t file_offset = 0;
  int64_t total_compressed_size = 0;
  int16_t ordinal = 0;
};

struct FileMetaData {
  std::vector<SchemaElement> schema;
  int64_t num_rows = 0;
  std::vector<RowGroup> row_groups;
  std::vector<std::pair<std::string, std::string>> key_value_metadata;
  std::string created_by;
};

void AppendPageHeader(std::string& out, const PageHeader& header);
void AppendFileMetaData(std::string& out, const FileMetaData& meta);

}  // namespace coinlake::parquet::format
