#include "cmc/sim_http.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>

namespace coinlake::cmc::sim {

Json StatusEnvelope(TimePoint now, int64_t error_code, std::string_view message, int64_t credits,
                    int elapsed_ms) {
  Json status;
  status["timestamp"] = FormatIso8601(now);
  status["error_code"] = error_code;
  status["error_message"] = error_code == 0 ? Json(nullptr) : Json(message);
  status["elapsed"] = elapsed_ms;
  status["credit_count"] = credits;
  status["notice"] = nullptr;
  return status;
}

void SendError(httplib::Response& res, int http_status, int64_t error_code,
               std::string_view message) {
  Json body;
  body["status"] = StatusEnvelope(SystemNow(), error_code, message, 0, 0);
  res.status = http_status;
  res.set_content(body.dump(), kJsonType);
}

std::string_view ErrorMessage(int64_t code) {
  switch (code) {
    case 400:
      return "Bad request";
    case 404:
      return "Not found";
    case 1001:
      return "This API Key is invalid.";
    case 1002:
      return "API key missing.";
    case 1003:
      return "Your API Key must be activated. Please go to pro.coinmarketcap.com/account/plan.";
    case 1004:
      return "Your API Key's subscription plan has expired.";
    case 1005:
      return "An API Key is required for this call.";
    case 1006:
      return "Your API Key subscription plan doesn't support this endpoint.";
    case 1007:
      return "This API Key has been disabled. Please contact support.";
    case 1008:
      return "You've exceeded your API Key's HTTP request rate limit. Rate limits reset every "
             "minute.";
    case 1009:
      return "You've exceeded your API Key's daily rate limit.";
    case 1010:
      return "You've exceeded your API Key's monthly rate limit.";
    case 1011:
      return "You've hit an IP rate limit.";
    case 502:
      return "Bad gateway";
    case 503:
      return "The service is temporarily unavailable. Please try again later.";
    case 504:
      return "Gateway timeout";
    default:
      return "An internal server error occurred";
  }
}

int64_t DefaultErrorCode(int http_status) {
  switch (http_status) {
    case 401:
      return 1001;
    case 402:
      return 1003;
    case 403:
      return 1006;
    case 429:
      return 1008;
    default:
      return http_status;
  }
}

bool IntParam(const httplib::Request& req, const char* name, int64_t lo, int64_t hi, int64_t* out,
              httplib::Response& res) {
  if (!req.has_param(name)) return true;
  std::string text = req.get_param_value(name);
  int64_t value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size() || value < lo || value > hi) {
    SendError(res, 400, 400, fmt::format("Invalid value for \"{}\": \"{}\"", name, text));
    return false;
  }
  *out = value;
  return true;
}

bool PageParams(const httplib::Request& req, int64_t max_limit, int64_t* start, int64_t* limit,
                httplib::Response& res) {
  return IntParam(req, "start", 1, INT32_MAX, start, res) &&
         IntParam(req, "limit", 1, max_limit, limit, res);
}

bool NumberParam(const httplib::Request& req, const char* name, std::optional<double>* out,
                 httplib::Response& res, bool allow_negative) {
  if (!req.has_param(name)) return true;
  std::string text = req.get_param_value(name);
  double value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size() || !std::isfinite(value) ||
      (value < 0 && !allow_negative)) {
    SendError(res, 400, 400, fmt::format("Invalid value for \"{}\": \"{}\"", name, text));
    return false;
  }
  *out = value;
  return true;
}

bool ChoiceParam(const httplib::Request& req, const char* name,
                 const std::vector<std::string_view>& allowed, std::string_view fallback,
                 std::string* out, httplib::Response& res) {
  std::string value = req.has_param(name) ? req.get_param_value(name) : std::string(fallback);
  if (std::find(allowed.begin(), allowed.end(), value) == allowed.end()) {
    SendError(res, 400, 400, fmt::format("Invalid value for \"{}\": \"{}\"", name, value));
    return false;
  }
  *out = std::move(value);
  return true;
}

}  // namespace coinlake::cmc::sim
