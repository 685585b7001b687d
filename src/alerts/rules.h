// Alert rules and channels as the configuration file writes them (docs/alerts.md, "Grammar"),
// parsed into typed values. One line per rule or channel:
//
//   alert-rule    = NAME: price COIN above|below LEVEL [CURRENCY] [cooldown=D] [hysteresis=X]
//                                                                  [channels=A,B]
//   alert-rule    = NAME: change WINDOW COIN above|below PERCENT [CURRENCY] [options as above]
//   alert-rule    = NAME: top N enter|leave COIN [options as above]
//   alert-rule    = NAME: top N any [options as above]
//   alert-rule    = NAME: dominance BTC|ETH above|below PERCENT [options as above]
//   alert-webhook = NAME: URL secret-file=PATH|secret-env=VAR [timeout=D]
//   alert-channel = NAME: KIND ...  (channel_config.h)
//
// COIN is a symbol (BTC) or a CMC id (id:1); WINDOW is 1h, 24h, 7d or 30d (CMC's
// percent_change_* of the snapshot); D is a duration (90s, 15m, 1h, 1d). Parsing checks
// everything that can be checked without the network or the secret: a bad line is one
// INVALID_ARGUMENT naming the line's rule and what is wrong.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "alerts/channel_config.h"
#include "alerts/pipeline_rules.h"
#include "common/status.h"

namespace coinlake::alerts {

// What a market rule reads from each quote row of a snapshot.
enum class Metric {
  kPrice,
  kPercentChange1h,
  kPercentChange24h,
  kPercentChange7d,
  kPercentChange30d,
  kRank,  // cmc_rank: top N rules
  // A global metrics snapshot's btc_dominance, eth_dominance (percent of the whole market's
  // cap): dominance rules, evaluated on global metrics, not on quote rows.
  kBtcDominance,
  kEthDominance,
};

// Whether `metric` is read from a global metrics snapshot (dominance rules) rather than from a
// snapshot's quote rows.
inline bool IsDominance(Metric metric) {
  return metric == Metric::kBtcDominance || metric == Metric::kEthDominance;
}

enum class Direction { kAbove, kBelow };

// Which move of a coin across the top N a top rule calls firing: entering (enter, any: every
// coin) or leaving (leave). The opposite move resolves it.
enum class TopMove { kEnter, kLeave };

// A rule on one coin's quote in one currency, evaluated on each live snapshot; or, for a
// dominance rule, on the coin's share of the market in each live global metrics snapshot (then
// cmc_id and symbol are Bitcoin's or Ether's, and currency is empty: a share has none).
struct MarketRule {
  std::string name;  // [A-Za-z0-9_.-]+, unique: alert_state and the outbox know a rule by it
  Metric metric = Metric::kPrice;
  // The coin: by CMC id (unique), or by symbol (the best-ranked coin listing it in the snapshot:
  // symbols repeat).
  std::optional<int64_t> cmc_id;
  std::string symbol;
  Direction direction = Direction::kAbove;
  double level = 0;  // price in `currency`, or percent (-10 = a 10 % fall; dominance: 0..100)
  std::string currency = "USD";
  // No second firing notification for the same coin sooner than this after the last one (a
  // price dancing around its level would otherwise notify on every snapshot).
  std::chrono::seconds cooldown{3600};
  // Resolves only once the value is this far back on the other side of the level (in the
  // level's unit), so a value hovering at the level does not flap.
  double hysteresis = 0;
  // Top N rules (metric kRank): N, and the move that fires. A rule on any coin has neither
  // cmc_id nor symbol. hysteresis is in ranks: a coin in the top N leaves past rank N + h.
  int64_t top = 0;
  TopMove move = TopMove::kEnter;
  std::vector<std::string> channels;  // empty: every configured channel
  std::string text;                   // the condition as written, for the notification
};

struct AlertConfig {
  std::vector<MarketRule> rules;
  std::vector<ChannelConfig> channels;  // alert-webhook lines first, then alert-channel
  // Rules on the ETL itself (pipeline_rules.h), the defaults included; `run` evaluates them.
  std::vector<PipelineRule> pipeline_rules;
  bool empty() const { return rules.empty() && channels.empty() && pipeline_rules.empty(); }
};

// "1h" -> 3600 s: a positive integer with s, m, h or d (or 0).
StatusOr<std::chrono::seconds> ParseDuration(std::string_view text);

StatusOr<MarketRule> ParseMarketRule(std::string_view line);
StatusOr<WebhookChannel> ParseWebhookChannel(std::string_view line);

// Parses every line and checks them together: names unique, every channel a rule names exists,
// and rules have somewhere to go (at least one channel). `channel_lines` are alert-webhook lines,
// `kind_channel_lines` alert-channel lines (channel_config.h). A rule whose text starts with
// `pipeline` is a pipeline rule (pipeline_rules.h); `pipeline_defaults` adds the default pipeline
// rules once a channel is configured.
StatusOr<AlertConfig> ParseAlertConfig(const std::vector<std::string>& rule_lines,
                                       const std::vector<std::string>& channel_lines,
                                       const std::vector<std::string>& kind_channel_lines = {},
                                       bool pipeline_defaults = true);

// The field of CMC's snapshot a metric reads, for messages and payloads ("price",
// "percent_change_1h", "btc_dominance", ...).
std::string_view MetricName(Metric metric);

}  // namespace coinlake::alerts
