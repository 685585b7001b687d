// Delivers the database-outage journal (outage_journal.h) while the database is down: a thread
// of its own, so a slow receiver never delays a cycle, sending each undelivered firing through
// the channel's own code (channel.h) with the outbox sender's policy: a channel's deliveries in
// order, exponential backoff after a failure (BackoffAfter), a 429's Retry-After honoured. Each
// outcome is written to the journal file before the next attempt, so a `run` killed meanwhile
// knows, once restarted, which channels have the firing.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "alerts/channel.h"
#include "alerts/channel_config.h"
#include "alerts/outage_journal.h"
#include "alerts/sender.h"
#include "common/stop_signal.h"

namespace coinlake::alerts {

class JournalSender {
 public:
  // Makes the channels of `configs` (one whose secret cannot be read is left out, logged: its
  // firing waits for the outbox); `path` is the journal file, `journal` what it holds now.
  JournalSender(std::string path, OutageJournal journal, const std::vector<ChannelConfig>& configs,
                SenderOptions policy = {});
  ~JournalSender();  // Stop()
  JournalSender(const JournalSender&) = delete;
  JournalSender& operator=(const JournalSender&) = delete;

  void Start();
  // Adds an entry (written to the file first) and wakes the thread.
  Status Add(JournalEntry entry);
  // Ends the thread, abandoning a send in flight (it counts as not delivered), and waits for it.
  void Stop();
  // The journal as it stands (the thread's outcomes included).
  OutageJournal journal() const;

 private:
  void Loop();
  // The next delivery due and its channel; false when none is due, with `wake_at` the earliest
  // time one will be (max when none waits).
  bool NextDue(TimePoint now, size_t& entry, size_t& delivery, Channel*& channel,
               TimePoint& wake_at) const;

  const std::string path_;
  const SenderOptions policy_;
  std::vector<std::unique_ptr<Channel>> channels_;
  mutable std::mutex mu_;
  std::condition_variable wake_;
  bool woken_ = false;     // guarded by mu_
  OutageJournal journal_;  // guarded by mu_
  StopSignal stop_;
  std::thread thread_;
};

}  // namespace coinlake::alerts
