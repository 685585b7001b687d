#include "alerts/rules.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <set>

#include "common/strings.h"
#include "common/time_util.h"

namespace coinlake::alerts {
namespace {

std::vector<std::string_view> Words(std::string_view text) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    size_t start = i;
    while (i < text.size() && !std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    if (i > start) out.push_back(text.substr(start, i - start));
  }
  return out;
}

std::string_view Trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front())))
    text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())))
    text.remove_suffix(1);
  return text;
}

bool IsName(std::string_view name) {
  return !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
  });
}

// "NAME: rest" -> {NAME, rest}; `what` says which option the line belongs to.
StatusOr<std::pair<std::string, std::string_view>> SplitName(std::string_view line,
                                                             std::string_view what) {
  size_t colon = line.find(':');
  // A URL's "https:" is not a name: the name comes before the first colon and has no '/'.
  std::string_view name = colon == std::string_view::npos ? "" : Trim(line.substr(0, colon));
  if (colon != std::string_view::npos && line.substr(colon + 1).starts_with("//")) name = "";
  if (!IsName(name)) {
    return InvalidArgumentError(
        fmt::format("{} '{}': expected 'NAME: ...' with NAME made of letters, digits, '_', "
                    "'-', '.' (at most 64); in the configuration file, quote the whole value: "
                    "{} = \"NAME: ...\"",
                    what, Trim(line), what));
  }
  return std::pair{std::string(name), Trim(line.substr(colon + 1))};
}

std::optional<double> Number(std::string_view text) {
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(value)) {
    return std::nullopt;
  }
  return value;
}

bool IsCurrency(std::string_view text) {
  return !text.empty() && text.size() <= 10 && std::all_of(text.begin(), text.end(), [](char c) {
    return std::isupper(static_cast<unsigned char>(c)) ||
           std::isdigit(static_cast<unsigned char>(c));
  });
}

}  // namespace

std::string_view MetricName(Metric metric) {
  switch (metric) {
    case Metric::kPrice:
      return "price";
    case Metric::kPercentChange1h:
      return "percent_change_1h";
    case Metric::kPercentChange24h:
      return "percent_change_24h";
    case Metric::kPercentChange7d:
      return "percent_change_7d";
    case Metric::kPercentChange30d:
      return "percent_change_30d";
    case Metric::kRank:
      return "cmc_rank";
    case Metric::kBtcDominance:
      return "btc_dominance";
    case Metric::kEthDominance:
      return "eth_dominance";
  }
  return "price";
}

StatusOr<std::chrono::seconds> ParseDuration(std::string_view text) {
  if (text == "0") return std::chrono::seconds(0);
  // A year of cooldown is surely a typo of a unit.
  std::optional<int64_t> seconds = ParseDurationSeconds(text, 366 * 86400);
  if (!seconds) {
    return InvalidArgumentError(fmt::format(
        "'{}' is not a duration: a number with s, m, h or d (90s, 15m, 1h, 1d), at most 366d",
        text));
  }
  return std::chrono::seconds(*seconds);
}

StatusOr<MarketRule> ParseMarketRule(std::string_view line) {
  ASSIGN_OR_RETURN(auto named, SplitName(line, "alert-rule"));
  MarketRule rule;
  rule.name = named.first;
  rule.text = std::string(named.second);
  auto bad = [&](std::string_view why) {
    return InvalidArgumentError(
        fmt::format("alert-rule {}: {} (in '{}')", rule.name, why, named.second));
  };
  if (named.second.empty()) {
    // What the configuration file's parser leaves of an unquoted value: it splits at spaces.
    return InvalidArgumentError(fmt::format(
        "alert-rule {}: nothing after '{}:'; in the configuration file, quote the whole value: "
        "alert-rule = \"{}: price BTC above 100000\"",
        rule.name, rule.name, rule.name));
  }
  std::vector<std::string_view> words = Words(named.second);
  size_t i = 0;
  auto next = [&]() -> std::string_view { return i < words.size() ? words[i++] : ""; };
  std::string_view kind = next();
  bool any_coin = false;
  const bool dominance = kind == "dominance";
  if (dominance) {
    // CMC's global metrics carry the share of two coins only; the ids are CMC's, fixed.
    std::string_view coin = next();
    if (coin == "BTC") {
      rule.metric = Metric::kBtcDominance;
      rule.cmc_id = 1;
    } else if (coin == "ETH") {
      rule.metric = Metric::kEthDominance;
      rule.cmc_id = 1027;
    } else {
      return bad(fmt::format(
          "dominance is BTC or ETH (global metrics' btc_dominance, eth_dominance), not '{}'",
          coin));
    }
    rule.symbol = std::string(coin);
    rule.currency.clear();
  } else if (kind == "top") {
    rule.metric = Metric::kRank;
    std::string_view n = next();
    auto [end, ec] = std::from_chars(n.data(), n.data() + n.size(), rule.top);
    if (ec != std::errc() || end != n.data() + n.size() || rule.top < 1 || rule.top > 5000) {
      return bad(fmt::format("'{}' is not a rank from 1 to 5000 (top 10 enter SOL)", n));
    }
    std::string_view move = next();
    if (move == "enter" || move == "any") {
      rule.move = TopMove::kEnter;
    } else if (move == "leave") {
      rule.move = TopMove::kLeave;
    } else {
      return bad(
          fmt::format("expected 'enter', 'leave' or 'any' after top {}, not '{}'", rule.top, move));
    }
    any_coin = move == "any";
  } else if (kind == "price") {
    rule.metric = Metric::kPrice;
  } else if (kind == "change") {
    std::string_view window = next();
    if (window == "1h") {
      rule.metric = Metric::kPercentChange1h;
    } else if (window == "24h") {
      rule.metric = Metric::kPercentChange24h;
    } else if (window == "7d") {
      rule.metric = Metric::kPercentChange7d;
    } else if (window == "30d") {
      rule.metric = Metric::kPercentChange30d;
    } else {
      return bad(
          fmt::format("the window of a change rule is 1h, 24h, 7d or 30d, not '{}'", window));
    }
  } else {
    return bad(
        fmt::format("a rule starts with 'price', 'change', 'top' or 'dominance', not '{}'", kind));
  }

  std::string_view coin = any_coin || dominance ? "" : next();
  if (any_coin || dominance) {
    // top N any: every coin; dominance: read above.
  } else if (coin.starts_with("id:")) {
    int64_t id = 0;
    std::string_view digits = coin.substr(3);
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), id);
    if (ec != std::errc() || end != digits.data() + digits.size() || id <= 0) {
      return bad(fmt::format("'{}' is not a CMC id (id:1 is Bitcoin)", coin));
    }
    rule.cmc_id = id;
  } else if (!coin.empty() && coin != "above" && coin != "below" &&
             std::none_of(coin.begin(), coin.end(), [](char c) {
               return std::isspace(static_cast<unsigned char>(c)) || c == '=';
             })) {
    rule.symbol = std::string(coin);
  } else {
    return bad("expected a coin (a symbol such as BTC, or id:1) after the rule's kind");
  }

  // A top rule has no direction, level or currency: its level is N, its value the rank.
  std::string_view direction = rule.metric == Metric::kRank ? "above" : next();
  if (rule.metric == Metric::kRank) {
    rule.level = static_cast<double>(rule.top);
  } else if (direction == "above") {
    rule.direction = Direction::kAbove;
  } else if (direction == "below") {
    rule.direction = Direction::kBelow;
  } else {
    return bad(fmt::format("expected 'above' or 'below' after the coin, not '{}'", direction));
  }

  if (rule.metric != Metric::kRank) {
    std::string_view level_text = next();
    std::optional<double> level = Number(level_text);
    if (!level) return bad(fmt::format("'{}' is not a number", level_text));
    if (rule.metric == Metric::kPrice && *level <= 0) {
      return bad("a price level must be positive");
    }
    if (dominance && (*level < 0 || *level > 100)) {
      return bad(
          fmt::format("a dominance level is a percentage from 0 to 100, not '{}'", level_text));
    }
    rule.level = *level;
  }

  if (rule.metric != Metric::kRank && i < words.size() &&
      words[i].find('=') == std::string_view::npos) {
    std::string_view currency = next();
    if (dominance) {
      return bad(fmt::format(
          "a dominance rule has no currency (a share of the whole market), so '{}' is unexpected",
          currency));
    }
    if (!IsCurrency(currency)) {
      return bad(
          fmt::format("'{}' is not a quote currency (upper case, as in convert: USD)", currency));
    }
    rule.currency = std::string(currency);
  }

  std::set<std::string_view> seen;
  for (; i < words.size(); ++i) {
    std::string_view word = words[i];
    size_t eq = word.find('=');
    if (eq == std::string_view::npos) return bad(fmt::format("unexpected '{}'", word));
    std::string_view key = word.substr(0, eq), value = word.substr(eq + 1);
    if (!seen.insert(key).second) return bad(fmt::format("{} is given twice", key));
    if (key == "cooldown") {
      auto cooldown = ParseDuration(value);
      if (!cooldown.ok()) return bad(cooldown.status().message());
      rule.cooldown = *cooldown;
    } else if (key == "hysteresis") {
      std::optional<double> h = Number(value);
      if (!h || *h < 0) return bad(fmt::format("hysteresis '{}' is not a number >= 0", value));
      if (rule.metric == Metric::kRank && *h != std::floor(*h)) {
        return bad(fmt::format("the hysteresis of a top rule is a whole number of ranks, not '{}'",
                               value));
      }
      rule.hysteresis = *h;
    } else if (key == "channels") {
      rule.channels = SplitCommaList(value);
      if (rule.channels.empty()) return bad("channels= names no channel");
      for (const std::string& channel : rule.channels) {
        if (!IsName(channel)) return bad(fmt::format("'{}' is not a channel name", channel));
      }
    } else {
      return bad(fmt::format("unknown option '{}' (cooldown, hysteresis, channels)", key));
    }
  }
  return rule;
}

StatusOr<WebhookChannel> ParseWebhookChannel(std::string_view line) {
  ASSIGN_OR_RETURN(auto named, SplitName(line, "alert-webhook"));
  WebhookChannel channel;
  channel.name = named.first;
  auto bad = [&](std::string_view why) {
    // The line names where the secret is, never the secret itself, so it may be quoted.
    return InvalidArgumentError(fmt::format("alert-webhook {}: {}", channel.name, why));
  };
  std::vector<std::string_view> words = Words(named.second);
  if (words.empty() || !(words[0].starts_with("http://") || words[0].starts_with("https://")) ||
      words[0].size() <= 8) {
    return bad("expected the receiver's URL (http:// or https://) after the name");
  }
  channel.url = std::string(words[0]);
  std::set<std::string_view> seen;
  for (size_t i = 1; i < words.size(); ++i) {
    std::string_view word = words[i];
    size_t eq = word.find('=');
    if (eq == std::string_view::npos) return bad(fmt::format("unexpected '{}'", word));
    std::string_view key = word.substr(0, eq), value = word.substr(eq + 1);
    if (!seen.insert(key).second) return bad(fmt::format("{} is given twice", key));
    if (value.empty()) return bad(fmt::format("{} has no value", key));
    if (key == "secret-file") {
      channel.secret_file = std::string(value);
    } else if (key == "secret-env") {
      channel.secret_env = std::string(value);
    } else if (key == "timeout") {
      auto timeout = ParseDuration(value);
      if (!timeout.ok()) return bad(timeout.status().message());
      if (*timeout <= std::chrono::seconds(0) || *timeout > std::chrono::seconds(300)) {
        return bad("timeout must be 1s..300s");
      }
      channel.timeout = *timeout;
    } else {
      return bad(fmt::format("unknown option '{}' (secret-file, secret-env, timeout)", key));
    }
  }
  if (channel.secret_file.empty() == channel.secret_env.empty()) {
    return bad(
        "needs exactly one of secret-file=PATH or secret-env=VARIABLE: the HMAC secret that "
        "signs each body");
  }
  return channel;
}

StatusOr<AlertConfig> ParseAlertConfig(const std::vector<std::string>& rule_lines,
                                       const std::vector<std::string>& channel_lines,
                                       const std::vector<std::string>& kind_channel_lines,
                                       bool pipeline_defaults) {
  AlertConfig config;
  std::set<std::string> channel_names, rule_names;
  for (const std::string& line : channel_lines) {
    ASSIGN_OR_RETURN(WebhookChannel channel, ParseWebhookChannel(line));
    if (!channel_names.insert(channel.name).second) {
      return InvalidArgumentError(
          fmt::format("alert-webhook {}: the name is used by another channel", channel.name));
    }
    config.channels.push_back(FromWebhook(channel));
  }
  for (const std::string& line : kind_channel_lines) {
    ASSIGN_OR_RETURN(ChannelConfig channel, ParseChannel(line));
    if (!channel_names.insert(channel.name).second) {
      return InvalidArgumentError(
          fmt::format("alert-channel {}: the name is used by another channel", channel.name));
    }
    config.channels.push_back(std::move(channel));
  }
  for (const std::string& line : rule_lines) {
    auto named = SplitName(line, "alert-rule");
    std::string name;
    std::vector<std::string> channels;
    if (named.ok() && IsPipelineRuleText(named->second)) {
      ASSIGN_OR_RETURN(PipelineRule rule, ParsePipelineRule(named->first, named->second));
      name = rule.name;
      channels = rule.channels;
      config.pipeline_rules.push_back(std::move(rule));
    } else {
      ASSIGN_OR_RETURN(MarketRule rule, ParseMarketRule(line));
      name = rule.name;
      channels = rule.channels;
      config.rules.push_back(std::move(rule));
    }
    if (!rule_names.insert(name).second) {
      return InvalidArgumentError(
          fmt::format("alert-rule {}: the name is used by another rule", name));
    }
    for (const std::string& channel : channels) {
      if (!channel_names.contains(channel)) {
        return InvalidArgumentError(fmt::format(
            "alert-rule {}: channel '{}' is not configured (alert-webhook = {}: URL ...)", name,
            channel, channel));
      }
    }
  }
  if ((!config.rules.empty() || !config.pipeline_rules.empty()) && config.channels.empty()) {
    return InvalidArgumentError(
        "alert rules are configured but no channel: add alert-webhook = NAME: URL "
        "secret-env=VARIABLE");
  }
  AddDefaultPipelineRules(config.pipeline_rules, {rule_names.begin(), rule_names.end()},
                          !config.channels.empty(), pipeline_defaults);
  return config;
}

}  // namespace coinlake::alerts
