// Backlog collapsing (docs/alerts.md, "Backlog collapsing"): a channel that was down gets its
// backlog in order, but a rule that fired and resolved while it was down is one notification,
// not two. Among a channel's undelivered rows, a firing followed by the resolved of the same
// (rule, subject) with no row of that pair between them becomes one: the resolved row gains the
// firing's time and value (`fired_at`, `fired_value`, and `collapsed`: the firing's idempotency
// key) and the firing's attempts and backoff, and the firing row is marked `collapsed_into` it
// (and settled: delivered_at set, so it is no longer waiting). Both keep their idempotency keys.
//
// Only a backlog collapses: the channel's oldest undelivered row must have failed at least once
// (the channel is down, or its receiver refuses). A healthy channel's fresh firing is never held
// back waiting for its resolve. The decision is one statement, so it is made once and a restart
// finds it in the table.
#pragma once

#include <string>

#include "common/status.h"
#include "warehouse/db.h"

namespace coinlake::alerts {

// Collapses what can be collapsed among `channel`'s undelivered rows on `db` (outside any
// transaction of the caller's: the statement is its own). Returns the number of firing rows
// collapsed.
StatusOr<int> CollapseBacklog(warehouse::Connection& db, const std::string& channel);

}  // namespace coinlake::alerts
