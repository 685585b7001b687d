// Alert channels as the configuration writes them (docs/alerts.md, "Channels"), parsed into
// typed values without the network or the secrets:
//
//   alert-channel = NAME: webhook URL secret-file=PATH|secret-env=VAR [timeout=D]
//   alert-channel = NAME: slack|discord secret-file=PATH|secret-env=VAR [timeout=D]
//   alert-channel = NAME: telegram chat=CHAT_ID secret-file=PATH|secret-env=VAR [api=URL]
//                                                                              [timeout=D]
//   alert-channel = NAME: ntfy URL [secret-file=PATH|secret-env=VAR] [priority=P] [tags=A,B]
//                                                                              [timeout=D]
//   alert-channel = NAME: email smtp://HOST[:PORT]|smtps://HOST[:PORT] from=ADDR to=ADDR[,ADDR]
//                   [user=NAME secret-file=PATH|secret-env=VAR] [ca-file=PATH] [timeout=D]
//   alert-channel = NAME: sns TOPIC_ARN [endpoint=URL] [timeout=D]
//   alert-webhook = NAME: URL ...   (the same as alert-channel = NAME: webhook URL ...)
//
// What the secret is depends on the kind: the webhook's HMAC key, the Slack or Discord webhook
// URL (which is a credential: whoever has it posts to the channel), the Telegram bot token,
// ntfy's access token, the SMTP password. It is never on the line.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace coinlake::alerts {

// A generic JSON webhook (docs/alerts.md, "Webhook").
struct WebhookChannel {
  std::string name;
  std::string url;  // http:// or https://
  // Where the HMAC secret is read from: exactly one of the two. Never the secret itself: the
  // configuration file is not a secret store.
  std::string secret_file;
  std::string secret_env;
  std::chrono::milliseconds timeout{10'000};  // for the whole request
};

enum class ChannelKind { kWebhook, kSlack, kDiscord, kTelegram, kNtfy, kEmail, kSns };

std::string_view KindName(ChannelKind kind);

// Any channel. Fields a kind does not use stay empty.
struct ChannelConfig {
  std::string name;
  ChannelKind kind = ChannelKind::kWebhook;
  // webhook: the receiver; ntfy: the topic's URL (server/topic); telegram: the Bot API's base
  // (https://api.telegram.org); email: the SMTP server (smtp:// = STARTTLS, smtps:// = TLS);
  // sns: the endpoint (default https://sns.REGION.amazonaws.com).
  std::string url;
  // Where the secret is read from (see above); both empty when the kind needs none.
  std::string secret_file;
  std::string secret_env;
  std::chrono::milliseconds timeout{10'000};  // for the whole request
  std::string chat_id;                        // telegram
  std::string priority;                       // ntfy: 1..5 or min, low, default, high, urgent
  std::string tags;                           // ntfy: comma-separated
  std::string from;                           // email
  std::vector<std::string> to;                // email
  std::string user;                           // email: the SMTP login (with the secret)
  std::string ca_file;                        // email: CA bundle to trust instead of the system's
  std::string topic_arn;                      // sns
  std::string region;                         // sns: from the ARN

  bool has_secret() const { return !secret_file.empty() || !secret_env.empty(); }
  // The webhook's own view (also how ReadChannelSecret names the channel for other kinds).
  WebhookChannel AsWebhook() const;
};

ChannelConfig FromWebhook(const WebhookChannel& webhook);

// One alert-channel line, "NAME: KIND ...". INVALID_ARGUMENT names the channel and the fault.
StatusOr<ChannelConfig> ParseChannel(std::string_view line);

}  // namespace coinlake::alerts
