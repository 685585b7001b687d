// The human-readable words of a notification, made from the generic JSON payload the outbox
// stores (docs/alerts.md, "Webhook"), for the channels a person reads: Slack, Discord, Telegram,
// ntfy, e-mail. One formatter, so every chat channel says the same thing.
#pragma once

#include <string>
#include <string_view>

namespace coinlake::alerts {

struct NotificationText {
  std::string event;  // "firing", "resolved", "test" (or what the payload says)
  // Short: a subject line or a push notification's title, e.g. "coinlake FIRING btc-100k (BTC)".
  std::string title;
  // One line, e.g. "FIRING btc-100k: Bitcoin (BTC) price is 100213.5 USD, above 100000 USD
  // (condition: price BTC above 100000 USD cooldown=1h; at 2026-12-06T14:05:00.000Z)".
  std::string line;
};

// Never fails: a payload it does not understand (not JSON, a future shape) still gives a line
// with what it has, so a notification is never lost for its wording.
NotificationText FormatNotification(std::string_view payload);

}  // namespace coinlake::alerts
