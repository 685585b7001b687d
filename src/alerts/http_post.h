// One HTTP POST through libcurl for the alert channels: the body as given, the caller's
// headers, a timeout for the whole request, abandoned when stopped. Any HTTP answer is an
// answer; a transport failure (refused, reset, timeout, DNS) is UNAVAILABLE. The URL may carry a
// secret (Slack and Discord webhook paths, Telegram's bot token): error messages mask
// registered secrets.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "common/stop_signal.h"

namespace coinlake::alerts {

// What the receiver answered.
struct HttpAnswer {
  int http_status = 0;
  std::string body;  // its first KiB, for messages
  // Retry-After (seconds, or an HTTP date made relative to now), when sent.
  std::optional<std::chrono::seconds> retry_after;
  bool ok() const { return http_status >= 200 && http_status < 300; }
};

struct HttpPost {
  std::string url;
  std::vector<std::string> headers;  // "Name: value"
  std::string_view body;
  std::chrono::milliseconds timeout{10'000};
  // Names the request in error messages: "POST to channel ops".
  std::string what;
};

StatusOr<HttpAnswer> PostHttp(const HttpPost& post, StopSignal* stop);

// Retry-After is delay-seconds or an HTTP-date (RFC 9110 10.2.3); nullopt when neither.
std::optional<std::chrono::seconds> ParseRetryAfter(const std::string& text);

}  // namespace coinlake::alerts
