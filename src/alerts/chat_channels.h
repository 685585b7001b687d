// The channels that POST one message over HTTPS to a chat or push service: the generic webhook,
// Slack and Discord incoming webhooks, Telegram's Bot API sendMessage, ntfy. Each builds its
// request from the notification and reads the service's answer (docs/alerts.md, "Channels").
#pragma once

#include <memory>
#include <string>

#include "alerts/channel.h"
#include "alerts/channel_config.h"
#include "alerts/http_post.h"

namespace coinlake::alerts {

// `secret` is the kind's secret as read (the HMAC key, the Slack or Discord URL, the bot token,
// ntfy's access token or empty).
std::unique_ptr<Channel> MakeWebhookChannel(const ChannelConfig& config, std::string secret);
std::unique_ptr<Channel> MakeSlackChannel(const ChannelConfig& config, std::string url);
std::unique_ptr<Channel> MakeDiscordChannel(const ChannelConfig& config, std::string url);
std::unique_ptr<Channel> MakeTelegramChannel(const ChannelConfig& config, std::string token);
std::unique_ptr<Channel> MakeNtfyChannel(const ChannelConfig& config, std::string token);

// The common reading of an HTTP answer: 2xx delivered; a 429 waits for Retry-After (or
// `retry_after` from the JSON body: Discord's top-level seconds, Telegram's
// parameters.retry_after); another 4xx is marked permanent in the error (the request will not
// succeed until the configuration or the secret is fixed, but it is retried with backoff so a
// fixed secret delivers the backlog in order).
ChannelAnswer ReadHttpAnswer(const HttpAnswer& answer);

}  // namespace coinlake::alerts
