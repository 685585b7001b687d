// Validated access to a request's query string. Each getter reads one parameter (absent ->
// the default; present but malformed, or given twice -> INVALID_ARGUMENT naming it); Finish()
// rejects any parameter no getter asked for, so a typo is an error instead of being ignored.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/status.h"

namespace coinlake::dashboard {

class QueryParams {
 public:
  explicit QueryParams(const std::multimap<std::string, std::string>& params) : params_(params) {}

  // An integer in [min, max].
  StatusOr<int64_t> Int(const std::string& name, int64_t min, int64_t max, int64_t fallback);
  // One of `allowed`.
  StatusOr<std::string> OneOf(const std::string& name, const std::vector<std::string>& allowed,
                              const std::string& fallback);
  // An upper-case currency code such as USD (parameter "currency").
  StatusOr<std::string> Currency();
  // A time as ISO-8601 UTC ("2026-11-27T21:50:00Z") or Unix seconds; result in Unix seconds.
  StatusOr<std::optional<int64_t>> Time(const std::string& name);
  // A duration such as 90s, 15m, 6h, 7d, within [min_seconds, max_seconds]; result in seconds.
  StatusOr<std::optional<int64_t>> Duration(const std::string& name, int64_t min_seconds,
                                            int64_t max_seconds);
  // A comma-separated list of 1..max_count positive ids (CMC ids), duplicates removed.
  StatusOr<std::vector<int64_t>> Ids(const std::string& name, size_t max_count);
  // Free text of 1..max_length printable characters.
  StatusOr<std::optional<std::string>> Text(const std::string& name, size_t max_length);

  // True if the parameter is present (marks it read).
  bool Has(const std::string& name);

  // Every parameter, for parsers that validate the whole query themselves.
  const std::multimap<std::string, std::string>& all() const { return params_; }

  // INVALID_ARGUMENT for the first parameter no getter read.
  Status Finish() const;

 private:
  StatusOr<std::optional<std::string>> Take(const std::string& name);
  const std::multimap<std::string, std::string>& params_;
  std::set<std::string> read_;
};

// Parses a whole string as a signed integer; false on anything else.
bool ParseInt(const std::string& text, int64_t& out);

}  // namespace coinlake::dashboard
