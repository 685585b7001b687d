#include "alerts/webhook.h"

#include <curl/curl.h>
#include <fmt/format.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <strings.h>

#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/bytes.h"
#include "common/log.h"

namespace coinlake::alerts {
namespace {

constexpr size_t kKeptBody = 1024;

struct Received {
  WebhookAnswer* answer;
  std::string retry_after;
};

size_t WriteBody(char* data, size_t size, size_t count, void* user) {
  auto* answer = static_cast<WebhookAnswer*>(user);
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

// Retry-After is delay-seconds or an HTTP-date (RFC 9110 10.2.3); nullopt when neither.
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

StatusOr<std::string> ReadFileBytes(const std::string& path) {
  std::error_code error;
  if (std::filesystem::is_directory(path, error)) {
    return FailedPreconditionError(fmt::format("{} is a directory", path));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return FailedPreconditionError(fmt::format("cannot read {}: {}", path, strerror(errno)));
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

}  // namespace

std::string SignatureOf(std::string_view secret, std::string_view body) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(body.data()), body.size(), mac, &length);
  return HexEncode(std::string_view(reinterpret_cast<const char*>(mac), length));
}

StatusOr<std::string> ReadChannelSecret(const WebhookChannel& channel) {
  std::string secret;
  if (!channel.secret_file.empty()) {
    auto read = ReadFileBytes(channel.secret_file);
    if (!read.ok()) {
      return FailedPreconditionError(
          fmt::format("channel {}: its secret-file: {}", channel.name, read.status().message()));
    }
    secret = std::move(read).value();
    while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r')) secret.pop_back();
  } else if (const char* value = std::getenv(channel.secret_env.c_str())) {
    secret = value;
  }
  if (secret.empty()) {
    return FailedPreconditionError(
        fmt::format("channel {}: no secret ({} is {})", channel.name,
                    channel.secret_file.empty() ? "$" + channel.secret_env : channel.secret_file,
                    channel.secret_file.empty() ? "unset or empty" : "empty"));
  }
  log::RegisterSecret(secret);
  return secret;
}

StatusOr<WebhookAnswer> PostWebhook(const WebhookChannel& channel, std::string_view secret,
                                    std::string_view body, std::string_view idempotency_key,
                                    StopSignal* stop) {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), &curl_easy_cleanup);
  if (!curl) return InternalError("curl_easy_init failed");
  CURL* h = curl.get();
  WebhookAnswer answer;
  Received received{&answer, {}};
  curl_easy_setopt(h, CURLOPT_URL, channel.url.c_str());
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(std::min<int64_t>(channel.timeout.count(), 10'000)));
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(channel.timeout.count()));
  curl_easy_setopt(h, CURLOPT_POST, 1L);
  curl_easy_setopt(h, CURLOPT_POSTFIELDS, body.data());
  curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, WriteBody);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &answer);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, ReadHeader);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &received);
  if (stop != nullptr) {
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, AbortWhenStopped);
    curl_easy_setopt(h, CURLOPT_XFERINFODATA, stop);
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
  }
  std::vector<std::string> lines = {
      "Content-Type: application/json",
      fmt::format("Idempotency-Key: {}", idempotency_key),
      fmt::format("X-Coinlake-Signature: sha256={}", SignatureOf(secret, body)),
      fmt::format("User-Agent: coinlake/{}", COINLAKE_VERSION),
      // No "100-continue" round trip before the body: one request, one answer.
      "Expect:",
  };
  curl_slist* headers = nullptr;
  for (const std::string& line : lines) headers = curl_slist_append(headers, line.c_str());
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> header_guard(headers,
                                                                           &curl_slist_free_all);
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
  CURLcode rc = curl_easy_perform(h);
  if (rc != CURLE_OK) {
    // The URL may carry a token of the receiver's (Slack-style paths): mask registered secrets.
    return UnavailableError(
        log::Redact(fmt::format("POST to channel {}: {}", channel.name, curl_easy_strerror(rc))));
  }
  long status = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  answer.http_status = static_cast<int>(status);
  answer.retry_after = ParseRetryAfter(received.retry_after);
  return answer;
}

TestNotification MakeTestNotification(const std::string& channel, TimePoint now) {
  std::string key = fmt::format(
      "test/{}/{}", channel,
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count());
  nlohmann::json body = {
      {"idempotency_key", key}, {"rule", nullptr},
      {"event", "test"},        {"time", FormatIso8601(now)},
      {"channel", channel},     {"message", "coinlake alerts test: this channel works"},
  };
  return {key, body.dump()};
}

}  // namespace coinlake::alerts
