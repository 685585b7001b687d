#include "warehouse/copy_format.h"

#include <fmt/format.h>

#include <bit>
#include <cmath>

namespace coinlake::warehouse {

void CopyRowWriter::Separator() {
  if (!first_) out_.push_back('\t');
  first_ = false;
}

void CopyRowWriter::Text(std::string_view value) {
  Separator();
  for (char c : value) {
    switch (c) {
      case '\\':
        out_ += "\\\\";
        break;
      case '\t':
        out_ += "\\t";
        break;
      case '\n':
        out_ += "\\n";
        break;
      case '\r':
        out_ += "\\r";
        break;
      default:
        out_.push_back(c);
    }
  }
}

void CopyRowWriter::Int(int64_t value) {
  Separator();
  fmt::format_to(std::back_inserter(out_), "{}", value);
}

void CopyRowWriter::Double(std::optional<double> value) {
  if (!value || !std::isfinite(*value)) return Null();
  Separator();
  // Shortest text that reads back to the same double: nothing is lost on the way in.
  fmt::format_to(std::back_inserter(out_), "{}", *value);
}

void CopyRowWriter::OptionalInt(std::optional<int64_t> value) {
  if (!value) return Null();
  Int(*value);
}

void CopyRowWriter::Time(TimePoint value) {
  Separator();
  out_ += FormatIso8601(value);
}

void CopyRowWriter::OptionalTime(std::optional<TimePoint> value) {
  if (!value) return Null();
  Time(*value);
}

void CopyRowWriter::Null() {
  Separator();
  out_ += "\\N";
}

void CopyRowWriter::End() {
  out_.push_back('\n');
  first_ = true;
}

}  // namespace coinlake::warehouse

namespace coinlake::warehouse {
namespace {

// PostgreSQL timestamps count microseconds from 2000-01-01T00:00:00Z.
constexpr int64_t kPostgresEpochMs = 946'684'800'000;

}  // namespace

BinaryCopyWriter::BinaryCopyWriter(std::string& out) : out_(out) {
  // Signature, flags (no OIDs), header extension length.
  static constexpr char kSignature[] = "PGCOPY\n\377\r\n";
  out_.append(kSignature, sizeof(kSignature));  // includes the final '\0'
  Put32(0);
  Put32(0);
}

void BinaryCopyWriter::Put16(uint16_t v) {
  char b[2] = {static_cast<char>(v >> 8), static_cast<char>(v)};
  out_.append(b, 2);
}

void BinaryCopyWriter::Put32(uint32_t v) {
  char b[4] = {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
               static_cast<char>(v)};
  out_.append(b, 4);
}

void BinaryCopyWriter::Put64(uint64_t v) {
  Put32(static_cast<uint32_t>(v >> 32));
  Put32(static_cast<uint32_t>(v));
}

void BinaryCopyWriter::Row(int16_t fields) { Put16(static_cast<uint16_t>(fields)); }

void BinaryCopyWriter::Int8(int64_t value) {
  Put32(8);
  Put64(static_cast<uint64_t>(value));
}

void BinaryCopyWriter::Int4(int32_t value) {
  Put32(4);
  Put32(static_cast<uint32_t>(value));
}

void BinaryCopyWriter::OptionalInt4(std::optional<int32_t> value) {
  if (!value) return Null();
  Int4(*value);
}

void BinaryCopyWriter::Float8(std::optional<double> value) {
  if (!value || !std::isfinite(*value)) return Null();
  Put32(8);
  Put64(std::bit_cast<uint64_t>(*value));
}

void BinaryCopyWriter::Timestamptz(TimePoint value) {
  Put32(8);
  Put64(static_cast<uint64_t>((value.time_since_epoch().count() - kPostgresEpochMs) * 1000));
}

void BinaryCopyWriter::OptionalTimestamptz(std::optional<TimePoint> value) {
  if (!value) return Null();
  Timestamptz(*value);
}

void BinaryCopyWriter::Text(std::string_view value) {
  Put32(static_cast<uint32_t>(value.size()));
  out_.append(value);
}

void BinaryCopyWriter::Null() { Put32(0xFFFFFFFFu); }

void BinaryCopyWriter::Finish() { Put16(0xFFFFu); }

}  // namespace coinlake::warehouse
