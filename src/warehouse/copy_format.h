// Encoding of values for PostgreSQL's COPY text format: tab-separated, \N for NULL,
// backslash escapes for backslash, tab, newline and carriage return.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/time_util.h"

namespace coinlake::warehouse {

class CopyRowWriter {
 public:
  explicit CopyRowWriter(std::string& out) : out_(out) {}

  void Text(std::string_view value);
  void Int(int64_t value);
  void Double(std::optional<double> value);
  void OptionalInt(std::optional<int64_t> value);
  void Time(TimePoint value);
  void OptionalTime(std::optional<TimePoint> value);
  void Null();
  // Ends the row.
  void End();

 private:
  void Separator();
  std::string& out_;
  bool first_ = true;
};

}  // namespace coinlake::warehouse
