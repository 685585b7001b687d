#include "dashboard/params.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

#include "common/time_util.h"

namespace coinlake::dashboard {
namespace {

// Strict UTF-8 (no overlong forms, surrogates or code points above U+10FFFF), as PostgreSQL
// requires of text: anything else would reach the database and come back as a 500.
bool ValidUtf8(std::string_view text) {
  static constexpr uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
  for (size_t i = 0; i < text.size();) {
    auto c = static_cast<unsigned char>(text[i]);
    size_t n = c < 0x80             ? 0
               : (c & 0xE0) == 0xC0 ? 1
               : (c & 0xF0) == 0xE0 ? 2
               : (c & 0xF8) == 0xF0 ? 3
                                    : 4;
    if (n == 4 || text.size() - i <= n) return false;
    uint32_t cp = c & (0x7F >> (n == 0 ? 0 : n + 1));
    for (size_t k = 1; k <= n; ++k) {
      auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (next & 0x3F);
    }
    if (cp < kMin[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += n + 1;
  }
  return true;
}

}  // namespace

bool ParseInt(const std::string& text, int64_t& out) {
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return !text.empty() && ec == std::errc() && ptr == text.data() + text.size();
}

StatusOr<std::optional<std::string>> QueryParams::Take(const std::string& name) {
  read_.insert(name);
  auto [first, last] = params_.equal_range(name);
  if (first == last) return std::optional<std::string>();
  if (std::next(first) != last) {
    return InvalidArgumentError(fmt::format("parameter '{}' given more than once", name));
  }
  return std::optional<std::string>(first->second);
}

StatusOr<int64_t> QueryParams::Int(const std::string& name, int64_t min, int64_t max,
                                   int64_t fallback) {
  ASSIGN_OR_RETURN(auto value, Take(name));
  if (!value) return fallback;
  int64_t n = 0;
  if (!ParseInt(*value, n) || n < min || n > max) {
    return InvalidArgumentError(fmt::format("{} must be an integer from {} to {}", name, min, max));
  }
  return n;
}

StatusOr<std::string> QueryParams::OneOf(const std::string& name,
                                         const std::vector<std::string>& allowed,
                                         const std::string& fallback) {
  ASSIGN_OR_RETURN(auto value, Take(name));
  if (!value) return fallback;
  if (std::find(allowed.begin(), allowed.end(), *value) == allowed.end()) {
    return InvalidArgumentError(
        fmt::format("{} must be one of {}", name, fmt::join(allowed, ", ")));
  }
  return *value;
}

StatusOr<std::string> QueryParams::Currency() {
  ASSIGN_OR_RETURN(auto value, Take("currency"));
  if (!value) return std::string("USD");
  if (value->empty() || value->size() > 10 ||
      value->find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ") != std::string::npos) {
    return InvalidArgumentError("currency must be an upper-case code such as USD");
  }
  return *value;
}

StatusOr<std::optional<int64_t>> QueryParams::Time(const std::string& name) {
  ASSIGN_OR_RETURN(auto value, Take(name));
  if (!value) return std::optional<int64_t>();
  int64_t seconds = 0;
  // Years 1970..2100 keep every later computation far from overflow.
  constexpr int64_t kMax = 4102444800;
  if (ParseInt(*value, seconds) && seconds >= 0 && seconds < kMax) {
    return std::optional<int64_t>(seconds);
  }
  auto parsed = ParseIso8601(*value);
  if (parsed.ok()) {
    seconds = std::chrono::duration_cast<std::chrono::seconds>(parsed->time_since_epoch()).count();
    if (seconds >= 0 && seconds < kMax) return std::optional<int64_t>(seconds);
  }
  return InvalidArgumentError(fmt::format(
      "{} must be an ISO-8601 UTC time (2026-11-27T21:50:00Z) or Unix seconds, 1970..2100", name));
}

StatusOr<std::optional<int64_t>> QueryParams::Duration(const std::string& name, int64_t min_seconds,
                                                       int64_t max_seconds) {
  ASSIGN_OR_RETURN(auto value, Take(name));
  if (!value) return std::optional<int64_t>();
  std::optional<int64_t> seconds = ParseDurationSeconds(*value, max_seconds);
  if (!seconds || *seconds <= 0 || *seconds < min_seconds) {
    return InvalidArgumentError(
        fmt::format("{} must be a duration such as 15m, 6h or 7d, from {} s to {} s", name,
                    min_seconds, max_seconds));
  }
  return seconds;
}

StatusOr<std::vector<int64_t>> QueryParams::Ids(const std::string& name, size_t max_count) {
  ASSIGN_OR_RETURN(auto value, Take(name));
  if (!value) return InvalidArgumentError(fmt::format("{} is required", name));
  std::vector<int64_t> ids;
  size_t start = 0;
  while (start <= value->size()) {
    size_t comma = value->find(',', start);
    if (comma == std::string::npos) comma = value->size();
    int64_t id = 0;
    if (!ParseInt(value->substr(start, comma - start), id) || id <= 0) {
      return InvalidArgumentError(
          fmt::format("{} must be comma-separated positive CMC ids, e.g. 1,1027", name));
    }
    if (std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(id);
    if (ids.size() > max_count) {
      return InvalidArgumentError(fmt::format("{} takes at most {} ids", name, max_count));
    }
    start = comma + 1;
  }
  return ids;
}

StatusOr<std::optional<std::string>> QueryParams::Text(const std::string& name, size_t max_length) {
  ASSIGN_OR_RETURN(auto value, Take(name));
  if (!value) return value;
  bool printable = std::none_of(value->begin(), value->end(),
                                [](char c) { return static_cast<unsigned char>(c) < 0x20; });
  if (value->empty() || value->size() > max_length || !printable || !ValidUtf8(*value)) {
    return InvalidArgumentError(
        fmt::format("{} must be 1 to {} printable UTF-8 characters", name, max_length));
  }
  return value;
}

bool QueryParams::Has(const std::string& name) {
  read_.insert(name);
  return params_.contains(name);
}

Status QueryParams::Finish() const {
  for (const auto& [name, value] : params_) {
    if (!read_.contains(name)) {
      return InvalidArgumentError(fmt::format("unknown parameter '{}'", name));
    }
  }
  return Status::Ok();
}

}  // namespace coinlake::dashboard
