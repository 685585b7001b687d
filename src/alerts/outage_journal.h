// The database-outage alert's local journal: while PostgreSQL is down nothing can be recorded in
// alert_outbox, so `run` keeps the firing of each database-outage rule in a small file under its
// spool directory and delivers it from there (journal_sender.h). Once the database is back the
// outage is recorded in the outbox with the same idempotency keys, the channels the journal
// reached marked delivered, and the journal is removed (docs/alerts.md, "The database outage").
//
// The file is JSON, written whole each time: a temporary file, fsync, rename, fsync of the
// folder, so a crash leaves the old journal or the new one, never half of one.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "common/time_util.h"

namespace coinlake::alerts {

// One channel's copy of a journaled firing, and how its delivery went.
struct JournalDelivery {
  std::string channel;
  std::string idempotency_key;  // as the outbox row will have it
  std::string payload;          // the generic JSON body, sent and later stored as is
  int attempts = 0;
  std::optional<TimePoint> delivered_at;
  std::optional<TimePoint> next_attempt_at;  // unset: due now
  std::string last_error;
};

// The firing of one database-outage rule.
struct JournalEntry {
  std::string rule;
  TimePoint fired_at{};  // since + the rule's duration: the transition's time
  std::vector<JournalDelivery> deliveries;
};

struct OutageJournal {
  // When the database began failing: a restarted `run` keeps it (the outage did not start at the
  // restart), so the outbox's keys, stamped from it, are the journal's.
  std::optional<TimePoint> since;
  std::vector<JournalEntry> entries;

  bool empty() const { return !since && entries.empty(); }
  const JournalEntry* Find(std::string_view rule) const;
};

std::string JournalToJson(const OutageJournal& journal);
// INVALID_ARGUMENT (saying what is wrong) for anything but a journal this code wrote.
StatusOr<OutageJournal> JournalFromJson(std::string_view text);

// The journal at `path`: empty when there is none. A file that cannot be read as a journal is
// renamed to `path`.corrupt-<epoch seconds> with an error log line naming both, and the journal
// is empty: an alert sent late by the outbox beats a `run` that cannot start.
OutageJournal ReadJournal(const std::string& path);
// Replaces the file atomically, creating its folder if needed.
Status WriteJournal(const std::string& path, const OutageJournal& journal);
// OK if it is already gone.
Status RemoveJournal(const std::string& path);

}  // namespace coinlake::alerts
