// Writes JSON text straight into a string, for the endpoints that serve the most requests
// (latest, series): no document tree and no allocation per value. Commas are added by the
// writer; the caller keeps objects and arrays balanced and calls Key before each member.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace coinlake::dashboard {

class JsonOut {
 public:
  explicit JsonOut(std::string& out) : out_(out) {}

  JsonOut& BeginObject();
  JsonOut& EndObject();
  JsonOut& BeginArray();
  JsonOut& EndArray();
  JsonOut& Key(std::string_view key);

  JsonOut& String(std::string_view text);
  JsonOut& Int(int64_t value);
  JsonOut& Null();
  // PostgreSQL's text of a number (integer, float8 or numeric) as a JSON number; NaN and
  // +-Infinity, which JSON cannot carry, become null.
  JsonOut& Number(std::string_view pg_text);
  // PostgreSQL's text of a timestamptz in a UTC session ("2026-11-27 21:50:00.5+00") as the
  // API's ISO-8601 form "2026-11-27T21:50:00.500Z".
  JsonOut& Time(std::string_view pg_text);
  // Unix seconds as "2026-11-27T21:50:00.000Z".
  JsonOut& TimeSeconds(int64_t seconds);

 private:
  void Separate();
  std::string& out_;
  bool need_comma_ = false;
};

}  // namespace coinlake::dashboard
