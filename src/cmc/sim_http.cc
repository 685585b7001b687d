#include "cmc/sim_http.h"

#include <fmt/format.h>

#include <charconv>
#include <string>

namespace coinlake::cmc {

SimJson StatusEnvelope(TimePoint now, int64_t error_code, std::string_view message, int64_t credits,
                       int elapsed_ms) {
  SimJson status;
  status["timestamp"] = FormatIso8601(now);
  status["error_code"] = error_code;
  status["error_message"] = error_code == 0 ? SimJson(nullptr) : SimJson(message);
  status["elapsed"] = elapsed_ms;
  status["credit_count"] = credits;
  status["notice"] = nullptr;
  return status;
}

void SendError(httplib::Response& res, int http_status, int64_t error_code,
               std::string_view message) {
  SimJson body;
  body["status"] = StatusEnvelope(SystemNow(), error_code, message, 0, 0);
  res.status = http_status;
  res.set_content(body.dump(), "application/json; charset=utf-8");
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

}  // namespace coinlake::cmc
