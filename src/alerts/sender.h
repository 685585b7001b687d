// The outbox's delivering side: undelivered alert_outbox rows go out in id order, one channel
// at a time, and a row is marked delivered only after the receiver's 2xx (docs/alerts.md,
// "Delivery"). A failed attempt (transport error, timeout, any non-2xx) sets the row's
// next_attempt_at by exponential backoff, or by the receiver's Retry-After on a 429, and the
// channel's later rows wait behind it: order is kept, nothing is skipped. What a channel is
// (webhook, Slack, SMTP...) is the Channel's business (channel.h): the sender only sees
// delivered or not, and how long the service asked it to wait. The backoff is in the
// table, so a restarted sender keeps it; a row written by a process killed before sending is
// simply the oldest undelivered one for the next sender.
//
// At least once to the receiver, exactly once with its help: a process killed after the 2xx
// and before the row is marked sends the row again after restart, with the same body and
// Idempotency-Key, which a receiver drops.
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "alerts/channel.h"
#include "alerts/channel_config.h"
#include "common/status.h"
#include "common/stop_signal.h"
#include "warehouse/db.h"

namespace coinlake::alerts {

struct SenderOptions {
  std::string database_url;
  std::vector<ChannelConfig> channels;
  // How often an idle sender looks for new rows: the bound on how long a recorded
  // notification waits before its first attempt.
  std::chrono::milliseconds poll{500};
  // The delay after the n-th failed attempt in a row: initial * 2^(n-1), at most `max`. A 429's
  // Retry-After is honoured up to max_retry_after.
  std::chrono::milliseconds initial_backoff{1'000};
  std::chrono::milliseconds max_backoff{600'000};
  std::chrono::milliseconds max_retry_after{3'600'000};
};

// The delay before the next attempt after `failures` failed attempts in a row (>= 1). Times
// in alert_outbox are the database server's (as its created_at default), so a clock that differs
// between the ETL host and the server neither delays nor hurries a row.
std::chrono::milliseconds BackoffAfter(const SenderOptions& options, int failures);

// What one pass did.
struct DeliveryPass {
  int delivered = 0;
  int failed = 0;  // attempts that failed (each stops its channel for this pass)
};

// One pass over `db`: for each channel, its due undelivered rows in id order until one fails or
// none is due. `stop` ends the pass between rows and abandons a POST in flight.
StatusOr<DeliveryPass> DeliverDue(warehouse::Connection& db,
                                  const std::vector<std::unique_ptr<Channel>>& channels,
                                  const SenderOptions& options, StopSignal& stop);

// DeliverDue on a thread of its own with its own database connection (reopened after a drop),
// every `poll`, until stopped: `coinlake run` keeps one beside its fetch loop, which it never
// delays.
class OutboxSender {
 public:
  // Makes every channel, reading its secret (FAILED_PRECONDITION if one is missing); does not
  // start, so a
  // reload can check a new configuration before it stops the running sender.
  static StatusOr<std::unique_ptr<OutboxSender>> Make(SenderOptions options);
  ~OutboxSender();  // Stop()
  OutboxSender(const OutboxSender&) = delete;
  OutboxSender& operator=(const OutboxSender&) = delete;
  // Starts the thread (once).
  void Start();
  // Looks for rows now instead of at the next poll: `run` calls it after each cycle, whose
  // loads have just committed their notifications.
  void Wake();
  // Ends the thread: a POST in flight is abandoned (its row is attempted again later). Waits
  // for it, so no row is in flight once this returns.
  void Stop();

 private:
  OutboxSender(SenderOptions options, std::vector<std::unique_ptr<Channel>> channels)
      : options_(std::move(options)), channels_(std::move(channels)) {}
  void Loop();
  SenderOptions options_;
  std::vector<std::unique_ptr<Channel>> channels_;
  StopSignal stop_;  // also abandons a POST in flight
  std::mutex mu_;
  std::condition_variable wake_;
  bool woken_ = false;  // guarded by mu_
  std::thread thread_;
};

}  // namespace coinlake::alerts
