// GET /api/v1/alerts: the configured alert rules, what fires now and the notifications sent
// (docs/alerts.md, "On the dashboard"). The rules come from alert_rules, which `coinlake run`
// writes from its configuration: the dashboard's host has none.
#include <fmt/format.h>

#include <limits>
#include <string>

#include "dashboard/api.h"
#include "dashboard/api_util.h"
#include "warehouse/schema_version.h"

namespace coinlake::dashboard {
namespace {

using nlohmann::json;

constexpr int kAlertsMigration = 16;
constexpr int kRulesTableMigration = 17;
// Firing (rule, subject) pairs listed at most: a rule over every coin of a crash fires for each.
constexpr int kMaxFiring = 500;

// A JSON value stored as text by PostgreSQL (payload parts), or null.
json JsonOrNull(const std::optional<std::string>& text) {
  if (!text) return nullptr;
  return json::parse(*text, nullptr, /*allow_exceptions=*/false);
}

// The coin a subject names (a CMC id as text), as the notification or the assets table knows it;
// null for a subject that is not a coin.
json Coin(const warehouse::Rows& rows, size_t r, size_t first) {
  json id = NumberOrNull(rows.at(r, first));
  if (!id.is_number()) return nullptr;
  return json{{"cmc_id", id},
              {"symbol", ValueOrNull(rows.at(r, first + 1))},
              {"name", ValueOrNull(rows.at(r, first + 2))}};
}

StatusOr<json> Rules(warehouse::Connection& db) {
  ASSIGN_OR_RETURN(warehouse::Rows rows, db.Query(R"sql(
    SELECT r.name, r.kind, r.condition, array_to_json(r.channels)::text, r.cooldown_seconds,
           r.host, r.updated_at,
           (SELECT count(*) FROM alert_state s WHERE s.rule = r.name AND s.firing)
    FROM alert_rules r ORDER BY r.position, r.name)sql"));
  json rules = json::array();
  for (size_t r = 0; r < rows.size(); ++r) {
    rules.push_back({{"name", rows.text(r, 0)},
                     {"kind", rows.text(r, 1)},
                     {"condition", rows.text(r, 2)},
                     {"channels", JsonOrNull(rows.at(r, 3))},
                     {"cooldown_seconds", NumberOrNull(rows.at(r, 4))},
                     {"host", rows.text(r, 5)},
                     {"updated_at", TimeOrNull(rows.at(r, 6))},
                     {"firing", NumberOrNull(rows.at(r, 7))}});
  }
  return rules;
}

// Each channel: configured ones in their order (by name and kind: never a URL), then any the
// outbox still holds undelivered rows for; with what waits for it and why (its oldest
// undelivered row blocks the rest: docs/alerts.md, "Delivery").
StatusOr<json> Channels(warehouse::Connection& db, bool has_rules_table) {
  ASSIGN_OR_RETURN(warehouse::Rows rows,
                   db.Query(fmt::format(R"sql(
    WITH configured AS ({}),
    waiting AS (
      SELECT channel, count(*) AS n, min(id) AS head FROM alert_outbox
      WHERE delivered_at IS NULL GROUP BY channel)
    SELECT coalesce(c.name, w.channel), c.kind, c.name IS NOT NULL, coalesce(w.n, 0),
           h.created_at, h.attempts, h.next_attempt_at, h.last_error
    FROM configured c FULL JOIN waiting w ON w.channel = c.name
    LEFT JOIN alert_outbox h ON h.id = w.head
    ORDER BY c.position NULLS LAST, 1)sql",
                                        has_rules_table ? "SELECT name, kind, position "
                                                          "FROM alert_channels"
                                                        : "SELECT NULL::text AS name, "
                                                          "NULL::text AS kind, "
                                                          "NULL::int AS position "
                                                          "WHERE false")));
  json channels = json::array();
  for (size_t r = 0; r < rows.size(); ++r) {
    channels.push_back({{"name", rows.text(r, 0)},
                        {"kind", ValueOrNull(rows.at(r, 1))},
                        {"configured", rows.text(r, 2) == "t"},
                        {"waiting", NumberOrNull(rows.at(r, 3))},
                        {"oldest_waiting_since", TimeOrNull(rows.at(r, 4))},
                        {"attempts", NumberOrNull(rows.at(r, 5))},
                        {"next_attempt_at", TimeOrNull(rows.at(r, 6))},
                        {"last_error", ValueOrNull(rows.at(r, 7))}});
  }
  return channels;
}

// What fires now: each firing (rule, subject) with its last firing notification's values.
StatusOr<json> Firing(warehouse::Connection& db, bool has_rules_table) {
  ASSIGN_OR_RETURN(warehouse::Rows rows,
                   db.Query(fmt::format(R"sql(
    SELECT s.rule, s.subject, s.since, s.last_notified_at,
           extract(epoch FROM now() - s.since),
           coalesce(a.cmc_id, (o.payload->'subject'->>'cmc_id')::bigint),
           coalesce(a.symbol, o.payload->'subject'->>'symbol'),
           coalesce(a.name, o.payload->'subject'->>'name'),
           (o.payload->'values')::text, o.payload->>'time', {}
    FROM alert_state s
    LEFT JOIN assets a
      ON a.cmc_id = CASE WHEN s.subject ~ '^[0-9]{{1,18}}$' THEN s.subject::bigint END
    LEFT JOIN LATERAL (
      SELECT payload FROM alert_outbox o
      WHERE o.rule = s.rule AND o.subject = s.subject AND o.event = 'firing'
      ORDER BY o.id DESC LIMIT 1) o ON true
    WHERE s.firing
    ORDER BY s.since DESC, s.rule, s.subject
    LIMIT $1)sql",
                                        has_rules_table ? "EXISTS (SELECT 1 FROM "
                                                          "alert_rules r WHERE r.name "
                                                          "= s.rule)"
                                                        : "NULL::boolean"),
                            {std::to_string(kMaxFiring)}));
  json firing = json::array();
  for (size_t r = 0; r < rows.size(); ++r) {
    json values = JsonOrNull(rows.at(r, 8));
    firing.push_back(
        {{"rule", rows.text(r, 0)},
         {"subject", rows.text(r, 1)},
         {"coin", Coin(rows, r, 5)},
         {"since", TimeOrNull(rows.at(r, 2))},
         {"firing_seconds", NumberOrNull(rows.at(r, 4))},
         {"last_notified_at", TimeOrNull(rows.at(r, 3))},
         {"snapshot", ValueOrNull(rows.at(r, 9))},
         {"value", values.is_object() && values.contains("value") ? values["value"] : json()},
         {"values", values},
         // false: the rule is no longer configured (its state stays until it is again).
         {"configured", rows.at(r, 10) ? json(rows.text(r, 10) == "t") : json()}});
  }
  return firing;
}

// The notifications recorded, newest first, one per (transition, channel): `limit` of them with
// ids below `before` (the previous page's next_before).
StatusOr<json> History(warehouse::Connection& db, int64_t limit, int64_t before) {
  ASSIGN_OR_RETURN(warehouse::Rows rows, db.Query(R"sql(
    SELECT o.id, o.rule, o.subject, o.event, o.channel, o.payload->>'time', o.created_at,
           o.delivered_at, o.attempts, o.next_attempt_at, o.last_error,
           (o.payload->'subject'->>'cmc_id')::bigint, o.payload->'subject'->>'symbol',
           o.payload->'subject'->>'name', (o.payload->'values')::text,
           -- collapsed_into (migration 18) read through to_jsonb: an older schema has no column.
           (to_jsonb(o)->>'collapsed_into')::bigint
    FROM alert_outbox o
    WHERE o.id < $2
    ORDER BY o.id DESC
    LIMIT $1)sql",
                                                  {std::to_string(limit), std::to_string(before)}));
  json items = json::array();
  for (size_t r = 0; r < rows.size(); ++r) {
    items.push_back({{"id", NumberOrNull(rows.at(r, 0))},
                     {"rule", rows.text(r, 1)},
                     {"subject", rows.text(r, 2)},
                     {"coin", Coin(rows, r, 11)},
                     {"event", rows.text(r, 3)},
                     {"channel", rows.text(r, 4)},
                     {"snapshot", ValueOrNull(rows.at(r, 5))},
                     {"recorded_at", TimeOrNull(rows.at(r, 6))},
                     {"delivered_at", TimeOrNull(rows.at(r, 7))},
                     {"attempts", NumberOrNull(rows.at(r, 8))},
                     {"next_attempt_at", rows.at(r, 7) ? json() : TimeOrNull(rows.at(r, 9))},
                     {"last_error", ValueOrNull(rows.at(r, 10))},
                     {"values", JsonOrNull(rows.at(r, 14))},
                     // A firing sent as part of its resolved (a collapsed backlog): that row's id.
                     {"collapsed_into", NumberOrNull(rows.at(r, 15))}});
  }
  json next_before = nullptr;
  if (static_cast<int64_t>(rows.size()) == limit && !items.empty()) {
    next_before = items.back()["id"];
  }
  return json{{"items", std::move(items)}, {"next_before", next_before}};
}

}  // namespace

StatusOr<json> Alerts(warehouse::Connection& db, QueryParams& params) {
  ASSIGN_OR_RETURN(int64_t limit, params.Int("limit", 1, 500, 50));
  constexpr int64_t kNoId = std::numeric_limits<int64_t>::max();
  ASSIGN_OR_RETURN(int64_t before, params.Int("before", 1, kNoId, kNoId));
  RETURN_IF_ERROR(params.Finish());
  ASSIGN_OR_RETURN(bool has_alerts, warehouse::SchemaHasMigration(db, kAlertsMigration));
  ASSIGN_OR_RETURN(bool has_rules_table, warehouse::SchemaHasMigration(db, kRulesTableMigration));
  json out;
  // rules_listed: false on a schema before migration 17, where the dashboard cannot know the
  // rules (the ETL host has not migrated yet); then `rules` is empty whatever is configured.
  out["rules_listed"] = has_rules_table;
  out["rules"] = json::array();
  out["channels"] = json::array();
  out["firing"] = json::array();
  out["history"] = json{{"items", json::array()}, {"next_before", nullptr}};
  if (!has_alerts) return out;
  if (has_rules_table) {
    ASSIGN_OR_RETURN(out["rules"], Rules(db));
  }
  ASSIGN_OR_RETURN(out["channels"], Channels(db, has_rules_table));
  ASSIGN_OR_RETURN(out["firing"], Firing(db, has_rules_table));
  ASSIGN_OR_RETURN(out["history"], History(db, limit, before));
  return out;
}

}  // namespace coinlake::dashboard
