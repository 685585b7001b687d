// A delivery channel as the sender sees it: one notification in, the service's answer out. Each
// kind formats its own message from the stored generic JSON payload at send time (the outbox
// keeps one shape for all), so the sender knows nothing of webhooks, Slack or SMTP.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "alerts/channel_config.h"
#include "common/status.h"
#include "common/stop_signal.h"

namespace coinlake::alerts {

// One outbox row (or `alerts test`'s notification).
struct Notification {
  std::string idempotency_key;
  std::string payload;  // the generic JSON body (docs/alerts.md, "Webhook")
};

// What the service answered. A transport failure (refused, reset, timeout, TLS refused) is a
// non-OK status from Send instead.
struct ChannelAnswer {
  bool delivered = false;
  std::string code;  // "HTTP 200", "SMTP 250"
  // The service's own words after the code, on one line, secrets masked (alerts test prints it).
  std::string said;
  // When not delivered: what last_error keeps, e.g. "HTTP 404: no_service (permanent: ...)".
  std::string error;
  // The service asked to be left alone this long (429 Retry-After, Telegram's retry_after).
  std::optional<std::chrono::seconds> retry_after;
};

class Channel {
 public:
  virtual ~Channel() = default;
  const std::string& name() const { return name_; }
  // `stop`, when set, abandons a transfer within about a second of stopping.
  virtual StatusOr<ChannelAnswer> Send(const Notification& notification, StopSignal* stop) = 0;

 protected:
  explicit Channel(std::string name) : name_(std::move(name)) {}

 private:
  std::string name_;
};

// The channel of a configuration, with its secret read (FAILED_PRECONDITION when it cannot be:
// missing file or variable, a Slack URL that is not a URL) and registered with the log masking.
StatusOr<std::unique_ptr<Channel>> MakeChannel(const ChannelConfig& config);

}  // namespace coinlake::alerts
