#include "alerts/journal_sender.h"

#include <algorithm>

#include "common/log.h"

namespace coinlake::alerts {

JournalSender::JournalSender(std::string path, OutageJournal journal,
                             const std::vector<ChannelConfig>& configs, SenderOptions policy)
    : path_(std::move(path)), policy_(std::move(policy)), journal_(std::move(journal)) {
  for (const ChannelConfig& config : configs) {
    auto channel = MakeChannel(config);
    if (!channel.ok()) {
      log::Warn("alert journal: channel left out, its outage alert waits for the outbox",
                {{"channel", config.name}, {"error", channel.status().ToString()}});
      continue;
    }
    channels_.push_back(std::move(channel).value());
  }
}

JournalSender::~JournalSender() { Stop(); }

void JournalSender::Start() {
  if (thread_.joinable() || stop_.stopped()) return;
  thread_ = std::thread([this] { Loop(); });
}

Status JournalSender::Add(JournalEntry entry) {
  {
    std::lock_guard lock(mu_);
    OutageJournal next = journal_;
    next.entries.push_back(std::move(entry));
    // On disk before any send: a firing sent but not journaled could be sent again.
    RETURN_IF_ERROR(WriteJournal(path_, next));
    journal_ = std::move(next);
    woken_ = true;
  }
  wake_.notify_all();
  return Status::Ok();
}

void JournalSender::Stop() {
  stop_.Stop();
  {
    std::lock_guard lock(mu_);
    woken_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

OutageJournal JournalSender::journal() const {
  std::lock_guard lock(mu_);
  return journal_;
}

bool JournalSender::NextDue(TimePoint now, size_t& entry, size_t& delivery, Channel*& channel,
                            TimePoint& wake_at) const {
  wake_at = TimePoint::max();
  for (const std::unique_ptr<Channel>& c : channels_) {
    // The channel's first undelivered firing, in the journal's order: later ones wait behind it.
    for (size_t e = 0; e < journal_.entries.size(); ++e) {
      const std::vector<JournalDelivery>& deliveries = journal_.entries[e].deliveries;
      auto found = std::find_if(deliveries.begin(), deliveries.end(), [&](const auto& d) {
        return d.channel == c->name() && !d.delivered_at;
      });
      if (found == deliveries.end()) continue;
      if (!found->next_attempt_at || *found->next_attempt_at <= now) {
        entry = e;
        delivery = static_cast<size_t>(found - deliveries.begin());
        channel = c.get();
        return true;
      }
      wake_at = std::min(wake_at, *found->next_attempt_at);
      break;
    }
  }
  return false;
}

void JournalSender::Loop() {
  while (!stop_.stopped()) {
    size_t e = 0, d = 0;
    Channel* channel = nullptr;
    Notification notification;
    int failures = 0;
    {
      std::unique_lock lock(mu_);
      TimePoint wake_at;
      if (!NextDue(SystemNow(), e, d, channel, wake_at)) {
        // Short waits on the wall clock: a clock step (or a fast test clock) is noticed soon.
        auto wait = std::chrono::milliseconds(1000);
        if (wake_at != TimePoint::max()) {
          wait = std::clamp<std::chrono::milliseconds>(wake_at - SystemNow(),
                                                       std::chrono::milliseconds(10), wait);
        }
        wake_.wait_for(lock, wait, [this] { return woken_ || stop_.stopped(); });
        woken_ = false;
        continue;
      }
      const JournalDelivery& due = journal_.entries[e].deliveries[d];
      notification = Notification{due.idempotency_key, due.payload};
      failures = due.attempts;
    }
    auto answer = channel->Send(notification, &stop_);
    const bool delivered = answer.ok() && answer->delivered;
    if (!delivered && stop_.stopped()) return;  // abandoned, not failed
    std::chrono::milliseconds delay = BackoffAfter(policy_, failures + 1);
    if (answer.ok() && answer->retry_after) {
      delay = std::min<std::chrono::milliseconds>(*answer->retry_after, policy_.max_retry_after);
    }
    std::string error = answer.ok() ? answer->error : std::string(answer.status().message());
    Status written;
    {
      std::lock_guard lock(mu_);
      JournalDelivery& done = journal_.entries[e].deliveries[d];
      ++done.attempts;
      if (delivered) {
        done.delivered_at = SystemNow();
        done.next_attempt_at.reset();
        done.last_error.clear();
      } else {
        done.next_attempt_at = SystemNow() + delay;
        done.last_error = error;
      }
      written = WriteJournal(path_, journal_);
    }
    if (!written.ok()) {
      log::Warn("alert journal not written: a restart may send this firing again (same key)",
                {{"error", written.ToString()}});
    }
    if (delivered) {
      log::Info("alert delivered from the journal (database down)",
                {{"channel", channel->name()},
                 {"idempotency_key", notification.idempotency_key},
                 {"answer", answer->code},
                 {"attempts", failures + 1}});
    } else {
      log::Warn("alert from the journal not delivered: retrying later",
                {{"channel", channel->name()},
                 {"idempotency_key", notification.idempotency_key},
                 {"error", error},
                 {"attempts", failures + 1},
                 {"retry_in_ms", delay.count()}});
    }
  }
}

}  // namespace coinlake::alerts
