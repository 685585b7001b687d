// The generic JSON webhook channel: one signed POST per notification (docs/alerts.md,
// "Webhook"). The body goes as given; the headers are
//   Content-Type: application/json
//   Idempotency-Key: <the notification's key>
//   X-Coinlake-Signature: sha256=<hex HMAC-SHA256 of the body bytes, keyed by the secret>
// The secret never leaves the process otherwise: it is registered with the log's masking.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "alerts/channel_config.h"
#include "alerts/http_post.h"
#include "common/status.h"
#include "common/stop_signal.h"
#include "common/time_util.h"

namespace coinlake::alerts {

// What the receiver answered.
using WebhookAnswer = HttpAnswer;

// Lowercase hex of HMAC-SHA256(secret, body).
std::string SignatureOf(std::string_view secret, std::string_view body);

// The channel's secret: the file's bytes without trailing line breaks, or the variable's
// value. FAILED_PRECONDITION when the file or variable is missing or empty. The secret is
// registered with log::RegisterSecret, so an error message that carries it shows "***".
StatusOr<std::string> ReadChannelSecret(const WebhookChannel& channel);

// POSTs `body` to the channel. Any HTTP answer is an answer (2xx or not); a transport failure
// (refused, reset, timeout, DNS) is UNAVAILABLE. `stop`, when set, abandons a transfer within
// about a second of stopping.
StatusOr<WebhookAnswer> PostWebhook(const WebhookChannel& channel, std::string_view secret,
                                    std::string_view body, std::string_view idempotency_key,
                                    StopSignal* stop = nullptr);

// What `coinlake alerts test CHANNEL` sends: event "test", the channel's name, the time, and a
// key of its own (test/CHANNEL/epoch ms) that no real notification has.
struct TestNotification {
  std::string idempotency_key;
  std::string body;
};
TestNotification MakeTestNotification(const std::string& channel, TimePoint now);

}  // namespace coinlake::alerts
