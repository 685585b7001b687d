// Pipeline rules: alerts on the ETL itself rather than on the market (docs/alerts.md, "Pipeline
// rules"). They share the alert-rule option with market rules; the word after `NAME:` tells
// them apart:
//
//   alert-rule = NAME: pipeline stale N                  no live snapshot loaded for N intervals
//   alert-rule = NAME: pipeline endpoint-stopped [EP]    CMC's error codes stopped EP (or any)
//   alert-rule = NAME: pipeline failed-cycles N          N failed cycles in a row
//   alert-rule = NAME: pipeline credits-forecast         the month's credits, at this month's
//                                                        rate, run out before the reset
//   alert-rule = NAME: pipeline lake-outage D            the lake failing for D (15m)
//   alert-rule = NAME: pipeline database-outage D        the database unreachable for D
//   alert-rule = NAME: pipeline audit-discrepancy        a closed day's stored audit result
//                                                        has findings (audit_store.h)
//
// each followed by the common options cooldown=D and channels=A,B. Once a channel is
// configured, a default set (DefaultPipelineRules) is on unless alert-pipeline-defaults = false;
// a configured rule with a default's name replaces it.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace coinlake::alerts {

enum class PipelineCheck {
  kStale,
  kEndpointStopped,
  kFailedCycles,
  kCreditsForecast,
  kLakeOutage,
  kDatabaseOutage,
  kAuditDiscrepancy,
};

// The word of the grammar ("stale", "endpoint-stopped", ...).
std::string_view PipelineCheckName(PipelineCheck check);

struct PipelineRule {
  std::string name;  // as a market rule's: unique among all rules, the key of alert_state
  PipelineCheck check = PipelineCheck::kStale;
  int count = 0;                        // stale: intervals; failed-cycles: cycles in a row
  std::chrono::seconds duration{0};     // lake-outage, database-outage: how long it fails first
  std::string endpoint;                 // endpoint-stopped: one endpoint; empty: each of them
  std::chrono::seconds cooldown{3600};  // no second firing sooner than this after the last one
  std::vector<std::string> channels;    // empty: every configured channel
  std::string text;                     // the condition as written, for the notification
};

// Parses what follows `NAME:` of a pipeline rule (starting with the word `pipeline`). Errors
// name the rule, as ParseMarketRule's do.
StatusOr<PipelineRule> ParsePipelineRule(const std::string& name, std::string_view body);

// Whether a rule's text (what follows `NAME:`) is a pipeline rule.
bool IsPipelineRuleText(std::string_view body);

// The rules on by default once a channel is configured (docs/alerts.md, "Defaults"):
//   pipeline-stale:            pipeline stale 3
//   pipeline-endpoint-stopped: pipeline endpoint-stopped
//   pipeline-failed-cycles:    pipeline failed-cycles 3
//   pipeline-credits-forecast: pipeline credits-forecast cooldown=1d
//   pipeline-lake-outage:      pipeline lake-outage 15m
//   pipeline-database-outage:  pipeline database-outage 15m
//   pipeline-audit-discrepancy: pipeline audit-discrepancy cooldown=1d
std::vector<PipelineRule> DefaultPipelineRules();

// Adds the defaults to `configured` (rules from the configuration): each default whose name no
// configured rule (market or pipeline: `taken`) uses. Nothing when `enabled` is false or there
// is no channel.
void AddDefaultPipelineRules(std::vector<PipelineRule>& configured,
                             const std::vector<std::string>& taken, bool has_channel, bool enabled);

}  // namespace coinlake::alerts
