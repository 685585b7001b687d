#include "alerts/http_post.h"

#include <curl/curl.h>
#include <fmt/format.h>
#include <strings.h>

#include <charconv>
#include <ctime>
#include <memory>
#include <mutex>

#include "common/log.h"
#include "common/time_util.h"

namespace coinlake::alerts {
namespace {

constexpr size_t kKeptBody = 1024;

struct Received {
  HttpAnswer* answer;
  std::string retry_after;
};

size_t WriteBody(char* data, size_t size, size_t count, void* user) {
  auto* answer = static_cast<HttpAnswer*>(user);
  size_t n = size * count;
  if (answer->body.size() < kKeptBody) {
    answer->body.append(data, std::min(n, kKeptBody - answer->body.size()));
  }
  return n;  // the rest is read and dropped: a receiver's chatter must not fill memory
}

size_t ReadHeader(char* data, size_t size, size_t count, void* user) {
  std::string_view line(data, size * count);
  constexpr std::string_view kRetryAfter = "retry-after:";
  if (line.size() > kRetryAfter.size() &&
      strncasecmp(line.data(), kRetryAfter.data(), kRetryAfter.size()) == 0) {
    std::string_view value = line.substr(kRetryAfter.size());
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' '))
      value.remove_suffix(1);
    static_cast<Received*>(user)->retry_after = std::string(value);
  }
  return size * count;
}

int AbortWhenStopped(void* stop, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  return static_cast<StopSignal*>(stop)->stopped() ? 1 : 0;
}

}  // namespace

std::optional<std::chrono::seconds> ParseRetryAfter(const std::string& text) {
  if (text.empty()) return std::nullopt;
  int64_t seconds = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), seconds);
  if (ec == std::errc() && end == text.data() + text.size() && seconds >= 0) {
    return std::chrono::seconds(seconds);
  }
  std::tm tm{};
  const char* parsed = strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (parsed == nullptr || *parsed != '\0') return std::nullopt;
  auto at = std::chrono::system_clock::from_time_t(timegm(&tm));
  auto delay = std::chrono::duration_cast<std::chrono::seconds>(at - SystemNow());
  return std::max(delay, std::chrono::seconds(0));
}

StatusOr<HttpAnswer> PostHttp(const HttpPost& post, StopSignal* stop) {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), &curl_easy_cleanup);
  if (!curl) return InternalError("curl_easy_init failed");
  CURL* h = curl.get();
  HttpAnswer answer;
  Received received{&answer, {}};
  curl_easy_setopt(h, CURLOPT_URL, post.url.c_str());
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(std::min<int64_t>(post.timeout.count(), 10'000)));
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(post.timeout.count()));
  curl_easy_setopt(h, CURLOPT_POST, 1L);
  curl_easy_setopt(h, CURLOPT_POSTFIELDS, post.body.data());
  curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(post.body.size()));
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, WriteBody);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &answer);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, ReadHeader);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &received);
  if (stop != nullptr) {
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, AbortWhenStopped);
    curl_easy_setopt(h, CURLOPT_XFERINFODATA, stop);
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
  }
  std::vector<std::string> lines = post.headers;
  lines.push_back(fmt::format("User-Agent: coinlake/{}", COINLAKE_VERSION));
  // No "100-continue" round trip before the body: one request, one answer.
  lines.push_back("Expect:");
  curl_slist* headers = nullptr;
  for (const std::string& line : lines) headers = curl_slist_append(headers, line.c_str());
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> header_guard(headers,
                                                                           &curl_slist_free_all);
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
  CURLcode rc = curl_easy_perform(h);
  if (rc != CURLE_OK) {
    // The URL may carry a token of the receiver's (Slack-style paths): mask registered secrets.
    return UnavailableError(log::Redact(fmt::format("{}: {}", post.what, curl_easy_strerror(rc))));
  }
  long status = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  answer.http_status = static_cast<int>(status);
  answer.retry_after = ParseRetryAfter(received.retry_after);
  return answer;
}

}  // namespace coinlake::alerts
