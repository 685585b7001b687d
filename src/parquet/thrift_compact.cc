#include "parquet/thrift_compact.h"

namespace coinlake::parquet::thrift {

void AppendVarint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

void CompactWriter::FieldHeader(int16_t id, CType type) {
  const int delta = id - last_id_;
  if (delta > 0 && delta <= 15) {
    out_.push_back(static_cast<char>((delta << 4) | static_cast<uint8_t>(type)));
  } else {
    // The long form: the type alone, then the id as a zigzag i16 varint.
    out_.push_back(static_cast<char>(type));
    AppendVarint(out_, ZigZag(id));
  }
  last_id_ = id;
}

void CompactWriter::Bool(int16_t id, bool v) {
  // A bool field carries its value in the header's type nibble.
  FieldHeader(id, v ? CType::kBoolTrue : CType::kBoolFalse);
}

void CompactWriter::Binary(int16_t id, std::string_view v) {
  FieldHeader(id, CType::kBinary);
  AppendVarint(out_, v.size());
  out_.append(v);
}

void CompactWriter::BeginStruct(int16_t id) {
  FieldHeader(id, CType::kStruct);
  last_ids_.push_back(last_id_);
  last_id_ = 0;
}

void CompactWriter::EndStruct() {
  out_.push_back(0);  // the stop field
  if (!last_ids_.empty()) {
    last_id_ = last_ids_.back();
    last_ids_.pop_back();
  } else {
    last_id_ = 0;
  }
}

void CompactWriter::BeginList(int16_t id, CType elem, int64_t size) {
  FieldHeader(id, CType::kList);
  if (size < 15) {
    out_.push_back(static_cast<char>((size << 4) | static_cast<uint8_t>(elem)));
  } else {
    out_.push_back(static_cast<char>(0xf0 | static_cast<uint8_t>(elem)));
    AppendVarint(out_, static_cast<uint64_t>(size));
  }
}

void CompactWriter::ListBinary(std::string_view v) {
  AppendVarint(out_, v.size());
  out_.append(v);
}

}  // namespace coinlake::parquet::thrift
