#include "dashboard/api_util.h"

#include <fmt/format.h>

#include <atomic>
#include <charconv>
#include <chrono>

#include "common/time_util.h"
#include "warehouse/heartbeat.h"
#include "warehouse/schema_version.h"

namespace coinlake::dashboard {

nlohmann::json NumberOrNull(const std::optional<std::string>& text) {
  if (!text) return nullptr;
  // Integer columns (ids, counts) stay integers: 13, not 13.0.
  int64_t integer = 0;
  auto [end, error] = std::from_chars(text->data(), text->data() + text->size(), integer);
  if (error == std::errc() && end == text->data() + text->size()) return integer;
  double value = 0;
  auto [ptr, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (ec != std::errc()) return nullptr;
  return value;
}

const char* LatestSnapshotSql(bool ledger_has_carried_ids) {
  return ledger_has_carried_ids ? "SELECT max(data_ts) FROM lake_objects WHERE endpoint = "
                                  "'listings_latest' AND (rows > 0 OR carried_ids IS NOT NULL)"
                                : "SELECT max(data_ts) FROM lake_objects WHERE endpoint = "
                                  "'listings_latest' AND rows > 0";
}

std::string LatestSnapshotQuotesSql(int currency_param, bool ledger_has_carried_ids) {
  const char* latest = LatestSnapshotSql(ledger_has_carried_ids);
  std::string own =
      fmt::format("SELECT * FROM quotes q WHERE q.snapshot_ts = ({}) AND q.quote_currency = ${}",
                  latest, currency_param);
  if (!ledger_has_carried_ids) return "(" + own + ")";
  // carried_ids names coins, not currencies: when only another currency's quote of a coin was
  // carried, this currency's newest quote is the snapshot's own row, already in the first half.
  return fmt::format(R"sql(({0}
      UNION ALL
      SELECT n.* FROM lake_objects o
      CROSS JOIN LATERAL unnest(o.carried_ids) AS m(cmc_id)
      CROSS JOIN LATERAL (
        SELECT * FROM quotes q
        WHERE q.cmc_id = m.cmc_id AND q.quote_currency = ${2}
          AND q.ts <= o.data_ts AND q.ts > o.data_ts - interval '1 day'
        ORDER BY q.ts DESC LIMIT 1) n
      WHERE o.endpoint = 'listings_latest' AND o.data_ts = ({1})
        AND n.snapshot_ts <> o.data_ts))sql",
                     own, latest, currency_param);
}

// PostgreSQL prints timestamptz as "2026-09-29 03:55:03.728+00"; the API speaks ISO-8601.
nlohmann::json TimeOrNull(const std::optional<std::string>& text) {
  if (!text) return nullptr;
  auto parsed = ParseIso8601(text->substr(0, text->find('+')));
  if (!parsed.ok()) return *text;
  return FormatIso8601(*parsed);
}
StatusOr<int64_t> RecentEtlListingsIntervalSeconds(warehouse::Connection& db) {
  // Two threads may both refresh at once; each stores the same answer.
  static std::atomic<int64_t> interval{0};
  static std::atomic<int64_t> read_at{0};
  const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                          std::chrono::steady_clock::now().time_since_epoch())
                          .count();
  if (interval.load() > 0 && now - read_at.load() < 60) return interval.load();
  ASSIGN_OR_RETURN(int64_t fresh, warehouse::EtlListingsIntervalSeconds(db));
  interval = fresh;
  read_at = now;
  return fresh;
}

StatusOr<bool> LedgerHasCarriedIds(warehouse::Connection& db) {
  constexpr int kLedgerCarriedIds = 11;  // lake_objects.carried_ids
  return warehouse::SchemaHasMigration(db, kLedgerCarriedIds);
}

nlohmann::json TimeOrNull(const std::optional<TimePoint>& time) {
  if (!time) return nullptr;
  return FormatIso8601(*time);
}

}  // namespace coinlake::dashboard
