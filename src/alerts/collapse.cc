#include "alerts/collapse.h"

#include "common/log.h"

namespace coinlake::alerts {
namespace {

// One statement, so the collapse is decided atomically: the resolved row takes the firing's
// news and backoff, and the firing row is marked collapsed into it and settled.
//   queue:  the channel's undelivered rows, each with the next row of its (rule, subject)
//   pairs:  a firing whose next row of the pair is a resolved, in a channel whose head (oldest
//           undelivered row) has failed at least once: a backlog, not a fresh firing
constexpr const char* kCollapse = R"sql(
WITH queue AS (
  SELECT id, event, attempts, next_attempt_at, last_error, idempotency_key, payload,
         lead(id) OVER pair AS next_id, lead(event) OVER pair AS next_event
  FROM alert_outbox
  WHERE channel = $1 AND delivered_at IS NULL
  WINDOW pair AS (PARTITION BY rule, subject ORDER BY id)
), head AS (
  SELECT attempts FROM alert_outbox
  WHERE channel = $1 AND delivered_at IS NULL ORDER BY id LIMIT 1
), pairs AS (
  SELECT queue.* FROM queue, head
  WHERE head.attempts >= 1 AND queue.event = 'firing' AND queue.next_event = 'resolved'
), resolved AS (
  UPDATE alert_outbox r SET
    payload = r.payload || jsonb_build_object(
        'fired_at', p.payload -> 'time',
        'fired_value', p.payload #> '{values,value}',
        'collapsed', p.idempotency_key),
    attempts = r.attempts + p.attempts,
    next_attempt_at = greatest(r.next_attempt_at, p.next_attempt_at),
    last_error = coalesce(r.last_error, p.last_error)
  FROM pairs p WHERE r.id = p.next_id
  RETURNING r.id
)
UPDATE alert_outbox f SET collapsed_into = p.next_id, delivered_at = clock_timestamp()
FROM pairs p WHERE f.id = p.id AND p.next_id IN (SELECT id FROM resolved)
RETURNING f.idempotency_key, p.next_id, f.attempts, f.next_attempt_at, f.last_error,
          f.id = (SELECT min(id) FROM queue)
)sql";

// When the head itself (the row that failed) was collapsed, the channel's wait stays: the new
// head, a row of another rule perhaps, takes the old head's attempts, backoff and error, so a
// channel that just failed is not asked again before its backoff (or Retry-After) is over.
constexpr const char* kKeepTheChannelsWait = R"sql(
UPDATE alert_outbox SET attempts = greatest(attempts, $2::int),
                        next_attempt_at = greatest(next_attempt_at, $3::timestamptz),
                        last_error = coalesce(last_error, $4)
WHERE id = (SELECT min(id) FROM alert_outbox WHERE channel = $1 AND delivered_at IS NULL)
)sql";

}  // namespace

StatusOr<int> CollapseBacklog(warehouse::Connection& db, const std::string& channel) {
  ASSIGN_OR_RETURN(warehouse::Transaction tx, warehouse::Transaction::Begin(db));
  ASSIGN_OR_RETURN(warehouse::Rows collapsed, db.Query(kCollapse, {channel}));
  for (size_t r = 0; r < collapsed.size(); ++r) {
    if (collapsed.text(r, 5) == "t") {
      RETURN_IF_ERROR(db.Execute(kKeepTheChannelsWait, {channel, collapsed.text(r, 2),
                                                        collapsed.text(r, 3), collapsed.at(r, 4)}));
    }
  }
  RETURN_IF_ERROR(tx.Commit());
  for (size_t r = 0; r < collapsed.size(); ++r) {
    log::Info("alert backlog collapsed: the firing goes out with its resolved",
              {{"channel", channel},
               {"idempotency_key", collapsed.text(r, 0)},
               {"collapsed_into", collapsed.text(r, 1)}});
  }
  return static_cast<int>(collapsed.size());
}

}  // namespace coinlake::alerts
