#include "alerts/sns_channel.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>
#include <vector>

#include "alerts/notification_text.h"
#include "aws/http.h"
#include "aws/sigv4.h"
#include "common/bytes.h"
#include "common/log.h"

namespace coinlake::alerts {
namespace {

// The text of the first <tag>...</tag> in an SNS answer (they are flat and never escape
// element names); empty when absent. Entities are left as sent: the text is only shown.
std::string XmlText(std::string_view xml, std::string_view tag) {
  std::string open = fmt::format("<{}>", tag), close = fmt::format("</{}>", tag);
  size_t start = xml.find(open);
  if (start == std::string_view::npos) return "";
  start += open.size();
  size_t end = xml.find(close, start);
  if (end == std::string_view::npos) return "";
  return std::string(xml.substr(start, end - start));
}

// Error codes that pass by themselves (https://docs.aws.amazon.com/sns/latest/api/
// CommonErrors.html and Publish's errors).
const std::set<std::string, std::less<>> kTransientCodes = {
    "Throttling",           "ThrottlingException", "ThrottledException",
    "RequestLimitExceeded", "InternalError",       "InternalFailure",
    "ServiceUnavailable",   "KMSThrottling",       "KMSThrottlingException",
    "RequestTimeout",       "ExpiredToken",
};

// Subject: ASCII, no line breaks, under 100 characters.
std::string SnsSubject(std::string title) {
  for (char& c : title) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u > 0x7e) c = '?';
  }
  if (title.size() > 99) title.resize(99);
  return title;
}

// MessageDeduplicationId: at most 128 characters of ASCII letters, digits and punctuation. The
// idempotency key is that already unless it is long; then its hash (same key, same id).
std::string DeduplicationId(const std::string& key) {
  bool plain = key.size() <= 128 &&
               std::all_of(key.begin(), key.end(), [](char c) { return c > 0x20 && c < 0x7f; });
  return plain ? key : Sha256Hex(key);
}

class SnsChannel final : public Channel {
 public:
  SnsChannel(const ChannelConfig& config, std::shared_ptr<aws::CredentialProvider> credentials)
      : Channel(config.name), config_(config), credentials_(std::move(credentials)) {}

  StatusOr<ChannelAnswer> Send(const Notification& notification, StopSignal* stop) override {
    ASSIGN_OR_RETURN(aws::AwsCredentials creds, credentials_->Get());
    std::string body = SnsPublishBody(config_, notification);
    aws::AwsHttpRequest request;
    request.method = "POST";
    request.url = config_.url + "/";
    request.headers = {"Content-Type: application/x-www-form-urlencoded; charset=utf-8"};
    request.body = body;
    request.total_timeout = config_.timeout;
    request.connect_timeout = std::min(config_.timeout, request.connect_timeout);
    request.stop = stop;
    request.signing = aws::AwsSigning{config_.region, "sns", creds.access_key_id,
                                      creds.secret_access_key, creds.session_token};
    auto response = aws::PerformAwsHttp(request);
    if (!response.ok()) {
      return UnavailableError(log::Redact(
          fmt::format("Publish to channel {}: {}", name(), response.status().message())));
    }
    ChannelAnswer answer = ReadSnsAnswer(response->http_status, response->body);
    if (XmlText(response->body, "Code") == "ExpiredToken") credentials_->Invalidate();
    return answer;
  }

 private:
  ChannelConfig config_;
  std::shared_ptr<aws::CredentialProvider> credentials_;
};

}  // namespace

std::string SnsPublishBody(const ChannelConfig& config, const Notification& notification) {
  NotificationText text = FormatNotification(notification.payload);
  std::vector<std::pair<std::string, std::string>> params = {
      {"Action", "Publish"},
      {"Version", "2010-03-31"},
      {"TopicArn", config.topic_arn},
      {"Subject", SnsSubject(text.title)},
      // A person reads the first line (e-mail and SMS subscriptions); a program, the JSON.
      {"Message", text.line + "\n\n" + notification.payload},
  };
  if (config.topic_arn.ends_with(".fifo")) {
    params.emplace_back("MessageGroupId", config.name);
    params.emplace_back("MessageDeduplicationId", DeduplicationId(notification.idempotency_key));
  }
  return aws::CanonicalQuery(std::move(params));
}

ChannelAnswer ReadSnsAnswer(int http_status, std::string_view body) {
  ChannelAnswer answer;
  answer.code = fmt::format("HTTP {}", http_status);
  if (http_status >= 200 && http_status < 300) {
    answer.delivered = true;
    answer.said = "MessageId " + XmlText(body, "MessageId");
    return answer;
  }
  std::string code = XmlText(body, "Code");
  std::string message = XmlText(body, "Message");
  answer.said =
      log::Redact(code.empty() ? std::string(body.substr(0, 200)) : code + ": " + message);
  if (code.empty()) {
    answer.error = fmt::format("HTTP {}: {}", http_status, answer.said);
  } else if (kTransientCodes.contains(code) || http_status >= 500) {
    answer.error = fmt::format("SNS {} (HTTP {}): {}", code, http_status, message);
  } else {
    answer.error = fmt::format(
        "SNS {} (HTTP {}): {} (permanent until the topic, its policy or the ETL role's "
        "sns:Publish permission is fixed)",
        code, http_status, message);
  }
  answer.error = log::Redact(answer.error);
  return answer;
}

std::unique_ptr<Channel> MakeSnsChannel(const ChannelConfig& config,
                                        std::shared_ptr<aws::CredentialProvider> credentials) {
  return std::make_unique<SnsChannel>(config, std::move(credentials));
}

}  // namespace coinlake::alerts
