#include "alerts/sender.h"

#include <fmt/format.h>

#include <algorithm>

#include "alerts/collapse.h"
#include "common/log.h"

namespace coinlake::alerts {
namespace {

// Delivers `channel`'s due rows in id order; stops at the first failure or a row not due yet.
Status DeliverChannel(warehouse::Connection& db, Channel& channel, const SenderOptions& options,
                      StopSignal& stop, DeliveryPass& pass) {
  while (!stop.stopped()) {
    ASSIGN_OR_RETURN(warehouse::Rows head,
                     db.Query("SELECT id, idempotency_key, payload::text, attempts, "
                              "next_attempt_at <= clock_timestamp() FROM alert_outbox "
                              "WHERE channel = $1 AND delivered_at IS NULL ORDER BY id LIMIT 1",
                              {channel.name()}));
    if (head.empty() || head.text(0, 4) != "t") return Status::Ok();
    const std::string id = head.text(0, 0);
    const std::string key = head.text(0, 1);
    const int failures = static_cast<int>(head.integer(0, 3).value_or(0));
    auto answer = channel.Send(Notification{key, head.text(0, 2)}, &stop);
    if (answer.ok() && answer->delivered) {
      RETURN_IF_ERROR(db.Execute(
          "UPDATE alert_outbox SET delivered_at = clock_timestamp(), attempts = attempts + 1, "
          "last_error = NULL WHERE id = $1 AND delivered_at IS NULL",
          {id}));
      ++pass.delivered;
      log::Info("alert delivered", {{"channel", channel.name()},
                                    {"idempotency_key", key},
                                    {"answer", answer->code},
                                    {"attempts", failures + 1}});
      continue;
    }
    if (stop.stopped()) return Status::Ok();  // abandoned, not failed: no backoff for it
    std::chrono::milliseconds delay = BackoffAfter(options, failures + 1);
    if (answer.ok() && answer->retry_after) {
      delay = std::min<std::chrono::milliseconds>(*answer->retry_after, options.max_retry_after);
    }
    // Enough to tell 429 from 500 from a refused connection.
    std::string error = answer.ok() ? answer->error : std::string(answer.status().message());
    RETURN_IF_ERROR(
        db.Execute("UPDATE alert_outbox SET attempts = attempts + 1, next_attempt_at = "
                   "clock_timestamp() + $2 * interval '1 millisecond', last_error = $3 "
                   "WHERE id = $1",
                   {id, std::to_string(delay.count()), error}));
    ++pass.failed;
    log::Warn("alert not delivered: retrying later", {{"channel", channel.name()},
                                                      {"idempotency_key", key},
                                                      {"error", error},
                                                      {"attempts", failures + 1},
                                                      {"retry_in_ms", delay.count()}});
    return Status::Ok();
  }
  return Status::Ok();
}

}  // namespace

std::chrono::milliseconds BackoffAfter(const SenderOptions& options, int failures) {
  std::chrono::milliseconds delay = options.initial_backoff;
  for (int i = 1; i < failures && delay < options.max_backoff; ++i) delay *= 2;
  return std::min(delay, options.max_backoff);
}

StatusOr<DeliveryPass> DeliverDue(warehouse::Connection& db,
                                  const std::vector<std::unique_ptr<Channel>>& channels,
                                  const SenderOptions& options, StopSignal& stop) {
  DeliveryPass pass;
  for (const std::unique_ptr<Channel>& channel : channels) {
    RETURN_IF_ERROR(CollapseBacklog(db, channel->name()).status());  // alerts/collapse.h
    RETURN_IF_ERROR(DeliverChannel(db, *channel, options, stop, pass));
  }
  return pass;
}

StatusOr<std::unique_ptr<OutboxSender>> OutboxSender::Make(SenderOptions options) {
  std::vector<std::unique_ptr<Channel>> channels;
  for (const ChannelConfig& config : options.channels) {
    ASSIGN_OR_RETURN(std::unique_ptr<Channel> channel, MakeChannel(config));
    channels.push_back(std::move(channel));
  }
  return std::unique_ptr<OutboxSender>(new OutboxSender(std::move(options), std::move(channels)));
}

void OutboxSender::Start() {
  if (thread_.joinable() || stop_.stopped()) return;
  thread_ = std::thread([this] { Loop(); });
}

OutboxSender::~OutboxSender() { Stop(); }

void OutboxSender::Wake() {
  {
    std::lock_guard lock(mu_);
    woken_ = true;
  }
  wake_.notify_all();
}

void OutboxSender::Stop() {
  stop_.Stop();
  Wake();
  if (thread_.joinable()) thread_.join();
}

void OutboxSender::Loop() {
  std::unique_ptr<warehouse::Connection> db;
  std::string last_error;  // logged once per distinct error, not every poll of an outage
  while (!stop_.stopped()) {
    Status status = Status::Ok();
    if (!db || !db->healthy()) {
      auto opened = warehouse::Connection::Open(options_.database_url);
      if (opened.ok()) {
        db = std::move(opened).value();
      } else {
        db.reset();
        status = opened.status();
      }
    }
    if (db) status = DeliverDue(*db, channels_, options_, stop_).status();
    if (!status.ok() && status.ToString() != last_error) {
      log::Warn("alert sender: database unavailable, notifications wait in the outbox",
                {{"error", status.ToString()}});
    }
    last_error = status.ok() ? "" : status.ToString();
    std::unique_lock lock(mu_);
    wake_.wait_for(lock, options_.poll, [this] { return woken_; });
    woken_ = false;
  }
}

}  // namespace coinlake::alerts
