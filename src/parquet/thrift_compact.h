// A writer of the Thrift compact protocol, just enough for Parquet's metadata: structs, lists,
// i16/i32/i64, binary and bool fields. Parquet's page headers and footer are compact-protocol
// Thrift; Debian 12 has no Thrift-free Parquet library, so this encodes them by hand.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace coinlake::parquet::thrift {

// The compact protocol's type ids (field headers and list headers).
enum class CType : uint8_t {
  kBoolTrue = 1,
  kBoolFalse = 2,
  kByte = 3,
  kI16 = 4,
  kI32 = 5,
  kI64 = 6,
  kDouble = 7,
  kBinary = 8,
  kList = 9,
  kSet = 10,
  kMap = 11,
  kStruct = 12,
};

// Unsigned LEB128 (the protocol's "varint").
void AppendVarint(std::string& out, uint64_t v);
// ZigZag maps signed to unsigned so that small magnitudes stay short: 0,-1,1,-2 -> 0,1,2,3.
inline uint64_t ZigZag(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}

// Appends one top-level struct to `out`. Field ids of a struct must increase (the compact
// protocol writes deltas); every BeginStruct/BeginListStruct needs its EndStruct.
class CompactWriter {
 public:
  explicit CompactWriter(std::string& out) : out_(out) {}

  void I16(int16_t id, int16_t v) { I64Of(id, CType::kI16, v); }
  void I32(int16_t id, int32_t v) { I64Of(id, CType::kI32, v); }
  void I64(int16_t id, int64_t v) { I64Of(id, CType::kI64, v); }
  void Bool(int16_t id, bool v);
  void Binary(int16_t id, std::string_view v);

  // A struct-valued field; its fields follow, then EndStruct().
  void BeginStruct(int16_t id);
  // Ends the innermost struct (a field's, a list element's, or the top-level one).
  void EndStruct();

  // A list-valued field of `size` elements of `elem`; the elements follow with the List*
  // calls (no end marker: the size says where it ends).
  void BeginList(int16_t id, CType elem, int64_t size);
  void ListI32(int32_t v) { AppendVarint(out_, ZigZag(v)); }
  void ListBinary(std::string_view v);
  void BeginListStruct() { last_ids_.push_back(last_id_), last_id_ = 0; }

 private:
  void FieldHeader(int16_t id, CType type);
  void I64Of(int16_t id, CType type, int64_t v) {
    FieldHeader(id, type);
    AppendVarint(out_, ZigZag(v));
  }

  std::string& out_;
  int16_t last_id_ = 0;
  std::vector<int16_t> last_ids_;
};

}  // namespace coinlake::parquet::thrift
