#include "alerts/webhook.h"

#include <fmt/format.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/bytes.h"
#include "common/log.h"

namespace coinlake::alerts {
namespace {

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
  HttpPost post;
  post.url = channel.url;
  post.headers = {
      "Content-Type: application/json",
      fmt::format("Idempotency-Key: {}", idempotency_key),
      fmt::format("X-Coinlake-Signature: sha256={}", SignatureOf(secret, body)),
  };
  post.body = body;
  post.timeout = channel.timeout;
  post.what = fmt::format("POST to channel {}", channel.name);
  return PostHttp(post, stop);
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
