// Encoders for PostgreSQL's COPY formats.
//
// CopyRowWriter: the text format (tab-separated, \N for NULL, backslash escapes).
// BinaryCopyWriter: the binary format, which the loader uses for its hot path: the server
// stores the values as sent, with no text to parse back into numbers and times (float8in and
// timestamptz_in are most of what a text COPY of quotes costs the server).
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

// Appends `COPY ... FROM STDIN (FORMAT binary)` data to `out`: the signature header on
// construction, then rows, then Finish() for the trailer. Each value must match its column's
// type exactly (bigint, integer, double precision, timestamptz, text): binary COPY converts
// nothing. Text must be UTF-8 (the connection's client encoding).
class BinaryCopyWriter {
 public:
  explicit BinaryCopyWriter(std::string& out);

  // Starts a row of `fields` values.
  void Row(int16_t fields);
  void Int8(int64_t value);  // bigint
  void Int4(int32_t value);  // integer
  void OptionalInt4(std::optional<int32_t> value);
  void Float8(std::optional<double> value);  // double precision; non-finite is NULL
  void Timestamptz(TimePoint value);
  void OptionalTimestamptz(std::optional<TimePoint> value);
  void Text(std::string_view value);
  void Null();
  // Appends the trailer; the data is complete.
  void Finish();

 private:
  void Put16(uint16_t v);
  void Put32(uint32_t v);
  void Put64(uint64_t v);
  std::string& out_;
};

}  // namespace coinlake::warehouse
