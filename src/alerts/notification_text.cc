#include "alerts/notification_text.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>
#include <optional>

namespace coinlake::alerts {
namespace {

std::string Text(const nlohmann::json& json, std::string_view key) {
  auto it = json.find(key);
  if (it == json.end() || it->is_null()) return "";
  if (it->is_string()) return it->get<std::string>();
  return it->dump();
}

std::string Upper(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return text;
}

// "price is 100213.5 USD, above 100000 USD" or "percent_change_1h is -11.2 %, below -10 %".
std::string ValueWords(const nlohmann::json& values, const std::string& event) {
  if (!values.is_object()) return "";
  std::string metric = Text(values, "metric");
  std::string unit = metric == "price" ? " " + Text(values, "currency") : " %";
  if (metric != "price" && !Text(values, "currency").empty()) {
    unit += " (" + Text(values, "currency") + ")";
  }
  std::string direction = Text(values, "direction");
  std::string words = fmt::format("{} is {}{}", metric, Text(values, "value"), unit);
  if (!direction.empty() && values.contains("level")) {
    std::string side = direction;
    if (event == "resolved") side = direction == "above" ? "back below" : "back above";
    words += fmt::format(", {} {}{}", side, Text(values, "level"), unit);
  }
  return words;
}

// A dominance rule's values ("metric": "btc_dominance" or "eth_dominance"), else null.
std::optional<std::string> DominanceCoin(const nlohmann::json& values) {
  if (!values.is_object()) return std::nullopt;
  std::string metric = Text(values, "metric");
  constexpr std::string_view kSuffix = "_dominance";
  if (metric.size() <= kSuffix.size() || !metric.ends_with(kSuffix)) return std::nullopt;
  return Upper(metric.substr(0, metric.size() - kSuffix.size()));
}

// A number as a person reads it: "52", "52.125".
std::string Plain(double value) { return fmt::format("{}", value); }

// "BTC dominance 58.65 % crossed above 52 %" (firing), "... back below 52 %" (resolved). The value
// is rounded to two decimals (CMC gives a dozen), unless that would print it as the level.
std::string DominanceWords(const std::string& coin, const nlohmann::json& values,
                           const std::string& event) {
  auto value = values.find("value");
  auto level = values.find("level");
  if (value == values.end() || !value->is_number() || level == values.end() ||
      !level->is_number()) {
    return coin + " dominance";
  }
  const std::string level_text = Plain(level->get<double>());
  std::string value_text = fmt::format("{:.2f}", value->get<double>());
  value_text.erase(value_text.find_last_not_of('0') + 1);
  if (value_text.ends_with('.')) value_text.pop_back();
  if (value_text == level_text) value_text = Plain(value->get<double>());
  const std::string direction = Text(values, "direction");
  std::string side = "crossed " + direction;
  if (event == "resolved") side = direction == "above" ? "back below" : "back above";
  return fmt::format("{} dominance {} % {} {} %", coin, value_text, side, level_text);
}

}  // namespace

NotificationText FormatNotification(std::string_view payload) {
  NotificationText out;
  nlohmann::json json = nlohmann::json::parse(payload, nullptr, /*allow_exceptions=*/false);
  if (!json.is_object()) {
    out.event = "notification";
    out.title = "coinlake notification";
    out.line = "coinlake notification: " + std::string(payload.substr(0, 1000));
    return out;
  }
  out.event = Text(json, "event");
  if (out.event.empty()) out.event = "notification";
  const std::string rule = Text(json, "rule");
  const std::string time = Text(json, "time");
  std::string who;  // "Bitcoin (BTC)"
  std::string symbol;
  if (auto subject = json.find("subject"); subject != json.end() && subject->is_object()) {
    symbol = Text(*subject, "symbol");
    std::string name = Text(*subject, "name");
    who = name.empty() ? symbol : symbol.empty() ? name : fmt::format("{} ({})", name, symbol);
    // A pipeline notification's subject: {"pipeline": true} or {"endpoint": "listings_latest"}.
    if (who.empty()) who = Text(*subject, "endpoint");
  } else if (auto subject = json.find("subject"); subject != json.end() && subject->is_string()) {
    who = subject->get<std::string>();
  }
  std::string what;  // the sentence after "EVENT rule: "
  std::optional<std::string> dominance;
  if (auto values = json.find("values"); values != json.end()) dominance = DominanceCoin(*values);
  if (json.contains("message")) {
    what = Text(json, "message");
  } else if (Text(json, "kind") == "pipeline") {
    // About run itself: its summary is the sentence ("no live snapshot loaded for 15 min ...");
    // its values are the figures behind it, not a metric of a coin.
    std::string summary = Text(json, "summary");
    what = who.empty() || summary.empty() ? summary : who + ": " + summary;
  } else if (dominance) {
    // The coin is in the words already: "BTC dominance", not "Bitcoin (BTC) btc_dominance".
    what = DominanceWords(*dominance, json["values"], out.event);
  } else {
    auto values = json.find("values");
    std::string value_words = values == json.end() ? "" : ValueWords(*values, out.event);
    what = who.empty() ? value_words : value_words.empty() ? who : who + " " + value_words;
  }
  std::string condition = Text(json, "condition");
  std::string context;
  if (!condition.empty()) context = "condition: " + condition;
  if (!time.empty()) context += (context.empty() ? "at " : "; at ") + time;
  if (out.event == "test") {
    context =
        fmt::format("channel {}{}", Text(json, "channel"), time.empty() ? "" : ", at " + time);
  }

  std::string head = Upper(out.event);
  if (!rule.empty()) head += " " + rule;
  out.line = head;
  if (!what.empty()) out.line += ": " + what;
  if (!context.empty()) out.line += " (" + context + ")";
  out.title = "coinlake " + head;
  if (!symbol.empty()) out.title += " (" + symbol + ")";
  return out;
}

}  // namespace coinlake::alerts
