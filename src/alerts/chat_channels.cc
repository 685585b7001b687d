#include "alerts/chat_channels.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <nlohmann/json.hpp>

#include "alerts/notification_text.h"
#include "alerts/webhook.h"
#include "common/log.h"

namespace coinlake::alerts {
namespace {

// The receiver's words on one line, secrets masked.
std::string OneLine(std::string text) {
  std::replace(text.begin(), text.end(), '\n', ' ');
  std::replace(text.begin(), text.end(), '\r', ' ');
  return log::Redact(text);
}

std::string Truncate(std::string text, size_t limit) {
  if (text.size() <= limit) return text;
  text.resize(limit - 3);
  // Do not leave half of a UTF-8 sequence behind.
  while (!text.empty() && (static_cast<unsigned char>(text.back()) & 0xC0) == 0x80) text.pop_back();
  if (!text.empty() && (static_cast<unsigned char>(text.back()) & 0x80)) text.pop_back();
  return text + "...";
}

// Header values cannot carry line breaks or (portably) bytes beyond ASCII.
std::string HeaderSafe(std::string text) {
  for (char& c : text) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u > 0x7e) c = '?';
  }
  return text;
}

// The generic JSON webhook: the stored payload as is, signed (webhook.h). Its answer is read as
// it always was: last_error "HTTP <code>: <first 200 bytes>", Retry-After only on a 429.
class GenericWebhook final : public Channel {
 public:
  GenericWebhook(const ChannelConfig& config, std::string secret)
      : Channel(config.name), webhook_(config.AsWebhook()), secret_(std::move(secret)) {}
  StatusOr<ChannelAnswer> Send(const Notification& notification, StopSignal* stop) override {
    ASSIGN_OR_RETURN(HttpAnswer http, PostWebhook(webhook_, secret_, notification.payload,
                                                  notification.idempotency_key, stop));
    ChannelAnswer answer;
    answer.delivered = http.ok();
    answer.code = fmt::format("HTTP {}", http.http_status);
    answer.said = OneLine(http.body);
    if (!answer.delivered) {
      answer.error =
          log::Redact(fmt::format("HTTP {}: {}", http.http_status, http.body.substr(0, 200)));
      if (http.http_status == 429) answer.retry_after = http.retry_after;
    }
    return answer;
  }

 private:
  WebhookChannel webhook_;
  std::string secret_;
};

// A JSON message POSTed to a URL: Slack, Discord, Telegram differ only in the URL and the body.
class JsonChatChannel final : public Channel {
 public:
  using Formatter = std::function<nlohmann::json(const NotificationText&)>;
  JsonChatChannel(const ChannelConfig& config, std::string url, Formatter format)
      : Channel(config.name),
        url_(std::move(url)),
        timeout_(config.timeout),
        format_(std::move(format)) {}
  StatusOr<ChannelAnswer> Send(const Notification& notification, StopSignal* stop) override {
    std::string body = format_(FormatNotification(notification.payload)).dump();
    HttpPost post;
    post.url = url_;
    post.headers = {"Content-Type: application/json; charset=utf-8"};
    post.body = body;
    post.timeout = timeout_;
    post.what = fmt::format("POST to channel {}", name());
    ASSIGN_OR_RETURN(HttpAnswer http, PostHttp(post, stop));
    return ReadHttpAnswer(http);
  }

 private:
  std::string url_;
  std::chrono::milliseconds timeout_;
  Formatter format_;
};

// ntfy: the line as the body of a POST to the topic's URL, with its title, priority and tags as
// headers (https://docs.ntfy.sh/publish/).
class NtfyChannel final : public Channel {
 public:
  NtfyChannel(const ChannelConfig& config, std::string token)
      : Channel(config.name), config_(config), token_(std::move(token)) {}
  StatusOr<ChannelAnswer> Send(const Notification& notification, StopSignal* stop) override {
    NotificationText text = FormatNotification(notification.payload);
    std::string priority = config_.priority;
    if (priority.empty()) priority = text.event == "firing" ? "high" : "default";
    std::string tags = config_.tags;
    // Tags that match an emoji name show as the emoji.
    std::string event_tag = text.event == "firing"     ? "rotating_light"
                            : text.event == "resolved" ? "white_check_mark"
                                                       : "test_tube";
    tags = tags.empty() ? event_tag : event_tag + "," + tags;
    HttpPost post;
    post.url = config_.url;
    post.headers = {
        "Content-Type: text/plain; charset=utf-8",
        "Title: " + HeaderSafe(text.title),
        "Priority: " + priority,
        "Tags: " + HeaderSafe(tags),
    };
    if (!token_.empty()) post.headers.push_back("Authorization: Bearer " + token_);
    post.body = text.line;
    post.timeout = config_.timeout;
    post.what = fmt::format("POST to channel {}", name());
    ASSIGN_OR_RETURN(HttpAnswer http, PostHttp(post, stop));
    return ReadHttpAnswer(http);
  }

 private:
  ChannelConfig config_;
  std::string token_;
};

// Slack escapes only these three in text (https://api.slack.com/reference/surfaces/formatting).
std::string SlackEscape(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '&') {
      out += "&amp;";
    } else if (c == '<') {
      out += "&lt;";
    } else if (c == '>') {
      out += "&gt;";
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

ChannelAnswer ReadHttpAnswer(const HttpAnswer& http) {
  ChannelAnswer answer;
  answer.delivered = http.ok();
  answer.code = fmt::format("HTTP {}", http.http_status);
  answer.said = OneLine(http.body);
  if (answer.delivered) return answer;
  std::string words = OneLine(http.body.substr(0, 200));
  if (http.http_status == 429) {
    answer.retry_after = http.retry_after;
    if (!answer.retry_after) {
      // Discord: {"retry_after": 1.5, ...}; Telegram: {"parameters": {"retry_after": 5}}.
      auto json = nlohmann::json::parse(http.body, nullptr, false);
      const nlohmann::json* seconds = nullptr;
      if (json.is_object() && json.contains("retry_after")) {
        seconds = &json["retry_after"];
      } else if (json.is_object() && json.contains("parameters") &&
                 json["parameters"].is_object() && json["parameters"].contains("retry_after")) {
        seconds = &json["parameters"]["retry_after"];
      }
      if (seconds != nullptr && seconds->is_number() && seconds->get<double>() >= 0) {
        answer.retry_after =
            std::chrono::seconds(static_cast<int64_t>(std::ceil(seconds->get<double>())));
      }
    }
    answer.error = fmt::format("HTTP 429: {}", words);
  } else if (http.http_status >= 400 && http.http_status < 500 && http.http_status != 408) {
    // Will not pass until someone fixes the channel; retried with backoff all the same, so a
    // fixed secret delivers the backlog, in order.
    answer.error = fmt::format(
        "HTTP {}: {} (permanent until the channel's configuration or secret is fixed: the URL, "
        "token or chat id is wrong or revoked, or the message was refused)",
        http.http_status, words);
  } else {
    answer.error = fmt::format("HTTP {}: {}", http.http_status, words);
  }
  return answer;
}

std::unique_ptr<Channel> MakeWebhookChannel(const ChannelConfig& config, std::string secret) {
  return std::make_unique<GenericWebhook>(config, std::move(secret));
}

std::unique_ptr<Channel> MakeSlackChannel(const ChannelConfig& config, std::string url) {
  // https://api.slack.com/messaging/webhooks: {"text": ...} is the fallback and the message.
  return std::make_unique<JsonChatChannel>(config, std::move(url), [](const NotificationText& t) {
    return nlohmann::json{{"text", SlackEscape(Truncate(t.line, 3000))}};
  });
}

std::unique_ptr<Channel> MakeDiscordChannel(const ChannelConfig& config, std::string url) {
  // https://discord.com/developers/docs/resources/webhook#execute-webhook: content at most 2000
  // characters; no mention in a notification pings anyone.
  return std::make_unique<JsonChatChannel>(config, std::move(url), [](const NotificationText& t) {
    return nlohmann::json{{"content", Truncate(t.line, 1900)},
                          {"allowed_mentions", {{"parse", nlohmann::json::array()}}}};
  });
}

std::unique_ptr<Channel> MakeTelegramChannel(const ChannelConfig& config, std::string token) {
  // https://core.telegram.org/bots/api#sendmessage: plain text (no parse_mode, so nothing in a
  // rule's text can break the markup), at most 4096 characters.
  std::string url = fmt::format("{}/bot{}/sendMessage", config.url, token);
  std::string chat = config.chat_id;
  return std::make_unique<JsonChatChannel>(
      config, std::move(url), [chat](const NotificationText& t) {
        // chat_id may be a string ("-100123" or "@name"): the API takes either.
        return nlohmann::json{{"chat_id", chat},
                              {"text", Truncate(t.line, 4000)},
                              {"disable_web_page_preview", true}};
      });
}

std::unique_ptr<Channel> MakeNtfyChannel(const ChannelConfig& config, std::string token) {
  return std::make_unique<NtfyChannel>(config, std::move(token));
}

}  // namespace coinlake::alerts
