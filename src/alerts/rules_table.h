// The configured rules and channels as the dashboard sees them (docs/alerts.md, "On the
// dashboard"): the dashboard's host has no ETL configuration, so `coinlake run` writes it to the
// alert_rules and alert_channels tables (migration 0017) at its start and after each reload.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "alerts/rules.h"
#include "common/status.h"
#include "warehouse/db.h"

namespace coinlake::alerts {

// A rule as the table shows it: its name, and the condition as written. Nothing of its kind's
// own fields, so every kind of rule fits.
struct ListedRule {
  std::string name;
  std::string kind;                   // the condition's first word (price, change, ...)
  std::string condition;              // as written after "NAME:"
  std::vector<std::string> channels;  // resolved: every channel when the rule names none
  std::optional<std::chrono::seconds> cooldown;
};

// A channel by name and kind only: its URL may be a secret (a Slack webhook URL is one).
struct ListedChannel {
  std::string name;
  std::string kind;  // webhook, ...
};

// The configuration's rules and channels in the order they are written: the one place that
// knows each rule and channel struct.
std::vector<ListedRule> ListRules(const AlertConfig& config);
std::vector<ListedChannel> ListChannels(const AlertConfig& config);

// Replaces alert_rules and alert_channels with `config`'s (empty when it has none) in one
// transaction, stamped with `host`. Does nothing on a schema before migration 17.
Status ReplaceRulesTable(warehouse::Connection& db, const AlertConfig& config,
                         std::string_view host);

}  // namespace coinlake::alerts
