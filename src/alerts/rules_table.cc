#include "alerts/rules_table.h"

#include <nlohmann/json.hpp>

#include "warehouse/schema_version.h"

namespace coinlake::alerts {

namespace {

constexpr int kRulesTableMigration = 17;

// "price BTC above 1" -> "price": the grammar's word for the kind of rule.
std::string FirstWord(std::string_view text) {
  size_t start = text.find_first_not_of(' ');
  if (start == std::string_view::npos) return "";
  size_t end = text.find(' ', start);
  return std::string(text.substr(start, end == std::string_view::npos ? end : end - start));
}

}  // namespace

std::vector<ListedRule> ListRules(const AlertConfig& config) {
  std::vector<std::string> every_channel;
  for (const ChannelConfig& channel : config.channels) every_channel.push_back(channel.name);
  std::vector<ListedRule> out;
  for (const MarketRule& rule : config.rules) {
    out.push_back({rule.name, FirstWord(rule.text), rule.text,
                   rule.channels.empty() ? every_channel : rule.channels, rule.cooldown});
  }
  for (const PipelineRule& rule : config.pipeline_rules) {
    out.push_back({rule.name, "pipeline", rule.text,
                   rule.channels.empty() ? every_channel : rule.channels, rule.cooldown});
  }
  return out;
}

std::vector<ListedChannel> ListChannels(const AlertConfig& config) {
  std::vector<ListedChannel> out;
  for (const ChannelConfig& channel : config.channels) {
    out.push_back({channel.name, std::string(KindName(channel.kind))});
  }
  return out;
}

Status ReplaceRulesTable(warehouse::Connection& db, const AlertConfig& config,
                         std::string_view host) {
  ASSIGN_OR_RETURN(bool has_table, warehouse::SchemaHasMigration(db, kRulesTableMigration));
  if (!has_table) return Status::Ok();
  // Rows go in as one JSON array per table: one statement each, whatever the number of rules.
  nlohmann::json rules = nlohmann::json::array();
  for (const ListedRule& rule : ListRules(config)) {
    rules.push_back({{"name", rule.name},
                     {"kind", rule.kind},
                     {"condition", rule.condition},
                     {"channels", rule.channels},
                     {"cooldown", rule.cooldown ? nlohmann::json(rule.cooldown->count())
                                                : nlohmann::json(nullptr)}});
  }
  nlohmann::json channels = nlohmann::json::array();
  for (const ListedChannel& channel : ListChannels(config)) {
    channels.push_back({{"name", channel.name}, {"kind", channel.kind}});
  }
  ASSIGN_OR_RETURN(warehouse::Transaction tx, warehouse::Transaction::Begin(db));
  RETURN_IF_ERROR(db.Execute("DELETE FROM alert_rules"));
  RETURN_IF_ERROR(db.Execute("DELETE FROM alert_channels"));
  RETURN_IF_ERROR(db.Execute(R"sql(
    INSERT INTO alert_rules (name, position, kind, condition, channels, cooldown_seconds, host)
    SELECT r->>'name', (n - 1)::integer, r->>'kind', r->>'condition',
           ARRAY(SELECT jsonb_array_elements_text(r->'channels')), (r->>'cooldown')::bigint, $2
    FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS e(r, n))sql",
                             {rules.dump(), std::string(host)}));
  RETURN_IF_ERROR(db.Execute(R"sql(
    INSERT INTO alert_channels (name, position, kind, host)
    SELECT c->>'name', (n - 1)::integer, c->>'kind', $2
    FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS e(c, n))sql",
                             {channels.dump(), std::string(host)}));
  return tx.Commit();
}

}  // namespace coinlake::alerts
