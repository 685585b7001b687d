#include "alerts/pipeline_rules.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <set>
#include <sstream>

#include "alerts/rules.h"
#include "common/strings.h"

namespace coinlake::alerts {
namespace {

std::vector<std::string> Words(std::string_view text) {
  std::istringstream in{std::string(text)};
  std::vector<std::string> out;
  for (std::string word; in >> word;) out.push_back(word);
  return out;
}

bool IsChannelName(std::string_view name) {
  return !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
  });
}

// The lake names of the live endpoints (pipeline/endpoints.h), which endpoint-stopped may name.
constexpr std::string_view kLiveEndpoints[] = {"listings_latest", "quotes_latest",
                                               "global_metrics_latest", "key_info", "map"};

std::optional<int> PositiveCount(std::string_view text) {
  int value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < 1 || value > 10'000) {
    return std::nullopt;
  }
  return value;
}

}  // namespace

std::string_view PipelineCheckName(PipelineCheck check) {
  switch (check) {
    case PipelineCheck::kStale:
      return "stale";
    case PipelineCheck::kEndpointStopped:
      return "endpoint-stopped";
    case PipelineCheck::kFailedCycles:
      return "failed-cycles";
    case PipelineCheck::kCreditsForecast:
      return "credits-forecast";
    case PipelineCheck::kLakeOutage:
      return "lake-outage";
    case PipelineCheck::kDatabaseOutage:
      return "database-outage";
    case PipelineCheck::kAuditDiscrepancy:
      return "audit-discrepancy";
  }
  return "stale";
}

bool IsPipelineRuleText(std::string_view body) {
  std::vector<std::string> words = Words(body);
  return !words.empty() && words[0] == "pipeline";
}

StatusOr<PipelineRule> ParsePipelineRule(const std::string& name, std::string_view body) {
  PipelineRule rule;
  rule.name = name;
  rule.text = std::string(body);
  auto bad = [&](std::string_view why) {
    return InvalidArgumentError(fmt::format("alert-rule {}: {} (in '{}')", name, why, body));
  };
  std::vector<std::string> words = Words(body);
  size_t i = 0;
  auto next = [&]() -> std::string { return i < words.size() ? words[i++] : ""; };
  if (next() != "pipeline") return bad("a pipeline rule starts with 'pipeline'");
  std::string check = next();
  if (check == "stale" || check == "failed-cycles") {
    rule.check = check == "stale" ? PipelineCheck::kStale : PipelineCheck::kFailedCycles;
    std::string count_text = next();
    std::optional<int> count = PositiveCount(count_text);
    if (!count) {
      return bad(fmt::format("{} needs a count 1..10000 ({}), not '{}'", check,
                             check == "stale" ? "scheduled intervals" : "cycles in a row",
                             count_text));
    }
    rule.count = *count;
  } else if (check == "lake-outage" || check == "database-outage") {
    rule.check =
        check == "lake-outage" ? PipelineCheck::kLakeOutage : PipelineCheck::kDatabaseOutage;
    std::string duration_text = next();
    auto duration = ParseDuration(duration_text);
    if (!duration.ok() || *duration <= std::chrono::seconds(0)) {
      return bad(fmt::format("{} needs how long it must last (90s, 15m, 1h), not '{}'", check,
                             duration_text));
    }
    rule.duration = *duration;
  } else if (check == "endpoint-stopped") {
    rule.check = PipelineCheck::kEndpointStopped;
    if (i < words.size() && words[i].find('=') == std::string::npos) {
      std::string endpoint = next();
      if (std::find(std::begin(kLiveEndpoints), std::end(kLiveEndpoints), endpoint) ==
          std::end(kLiveEndpoints)) {
        return bad(fmt::format(
            "'{}' is not an endpoint (listings_latest, quotes_latest, global_metrics_latest, "
            "key_info, map)",
            endpoint));
      }
      rule.endpoint = endpoint;
    }
  } else if (check == "credits-forecast") {
    rule.check = PipelineCheck::kCreditsForecast;
  } else if (check == "audit-discrepancy") {
    rule.check = PipelineCheck::kAuditDiscrepancy;
  } else {
    return bad(fmt::format(
        "a pipeline rule is stale N, endpoint-stopped [ENDPOINT], failed-cycles N, "
        "credits-forecast, lake-outage D, database-outage D or audit-discrepancy, not '{}'",
        check));
  }

  std::set<std::string> seen;
  for (; i < words.size(); ++i) {
    const std::string& word = words[i];
    size_t eq = word.find('=');
    if (eq == std::string::npos) return bad(fmt::format("unexpected '{}'", word));
    std::string key = word.substr(0, eq), value = word.substr(eq + 1);
    if (!seen.insert(key).second) return bad(fmt::format("{} is given twice", key));
    if (key == "cooldown") {
      auto cooldown = ParseDuration(value);
      if (!cooldown.ok()) return bad(cooldown.status().message());
      rule.cooldown = *cooldown;
    } else if (key == "channels") {
      rule.channels = SplitCommaList(value);
      if (rule.channels.empty()) return bad("channels= names no channel");
      for (const std::string& channel : rule.channels) {
        if (!IsChannelName(channel)) return bad(fmt::format("'{}' is not a channel name", channel));
      }
    } else {
      return bad(fmt::format("unknown option '{}' (cooldown, channels)", key));
    }
  }
  return rule;
}

std::vector<PipelineRule> DefaultPipelineRules() {
  const std::pair<std::string, std::string> defaults[] = {
      {"pipeline-stale", "pipeline stale 3"},
      {"pipeline-endpoint-stopped", "pipeline endpoint-stopped"},
      {"pipeline-failed-cycles", "pipeline failed-cycles 3"},
      {"pipeline-credits-forecast", "pipeline credits-forecast cooldown=1d"},
      {"pipeline-lake-outage", "pipeline lake-outage 15m"},
      {"pipeline-database-outage", "pipeline database-outage 15m"},
      {"pipeline-audit-discrepancy", "pipeline audit-discrepancy cooldown=1d"},
  };
  std::vector<PipelineRule> rules;
  for (const auto& [name, text] : defaults) rules.push_back(*ParsePipelineRule(name, text));
  return rules;
}

void AddDefaultPipelineRules(std::vector<PipelineRule>& configured,
                             const std::vector<std::string>& taken, bool has_channel,
                             bool enabled) {
  if (!enabled || !has_channel) return;
  for (PipelineRule& rule : DefaultPipelineRules()) {
    if (std::find(taken.begin(), taken.end(), rule.name) != taken.end()) continue;
    configured.push_back(std::move(rule));
  }
}

}  // namespace coinlake::alerts
