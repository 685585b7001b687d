#include "warehouse/copy_format.h"

#include <fmt/format.h>

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
