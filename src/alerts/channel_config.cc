#include "alerts/channel_config.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <set>
#include <sstream>

#include "alerts/rules.h"
#include "common/strings.h"

namespace coinlake::alerts {
namespace {

constexpr std::pair<ChannelKind, std::string_view> kKinds[] = {
    {ChannelKind::kWebhook, "webhook"}, {ChannelKind::kSlack, "slack"},
    {ChannelKind::kDiscord, "discord"}, {ChannelKind::kTelegram, "telegram"},
    {ChannelKind::kNtfy, "ntfy"},       {ChannelKind::kEmail, "email"},
    {ChannelKind::kSns, "sns"},
};

// The options each kind accepts besides its positional word, as the error message lists them.
std::string_view OptionsOf(ChannelKind kind) {
  switch (kind) {
    case ChannelKind::kWebhook:
      return "secret-file, secret-env, timeout";
    case ChannelKind::kSlack:
    case ChannelKind::kDiscord:
      return "secret-file, secret-env, timeout";
    case ChannelKind::kTelegram:
      return "chat, secret-file, secret-env, api, timeout";
    case ChannelKind::kNtfy:
      return "secret-file, secret-env, priority, tags, timeout";
    case ChannelKind::kEmail:
      return "from, to, user, secret-file, secret-env, ca-file, timeout";
    case ChannelKind::kSns:
      return "endpoint, timeout";
  }
  return "";
}

bool IsHttpUrl(std::string_view url) {
  return (url.starts_with("http://") && url.size() > 7) ||
         (url.starts_with("https://") && url.size() > 8);
}

// A mail address as far as it can be checked without the network: local@domain, no spaces or
// angle brackets that would break the header it goes into.
bool IsMailAddress(std::string_view address) {
  size_t at = address.find('@');
  return at != std::string_view::npos && at > 0 && at + 1 < address.size() &&
         std::none_of(address.begin(), address.end(), [](char c) {
           return std::isspace(static_cast<unsigned char>(c)) || c == '<' || c == '>' || c == ',' ||
                  c == '"' || static_cast<unsigned char>(c) < 0x20;
         });
}

const std::set<std::string_view> kNtfyPriorities = {"1",   "2",       "3",    "4",      "5",  "min",
                                                    "low", "default", "high", "urgent", "max"};

}  // namespace

std::string_view KindName(ChannelKind kind) {
  for (const auto& [k, name] : kKinds)
    if (k == kind) return name;
  return "webhook";
}

WebhookChannel ChannelConfig::AsWebhook() const {
  WebhookChannel webhook;
  webhook.name = name;
  webhook.url = url;
  webhook.secret_file = secret_file;
  webhook.secret_env = secret_env;
  webhook.timeout = timeout;
  return webhook;
}

ChannelConfig FromWebhook(const WebhookChannel& webhook) {
  ChannelConfig config;
  config.name = webhook.name;
  config.kind = ChannelKind::kWebhook;
  config.url = webhook.url;
  config.secret_file = webhook.secret_file;
  config.secret_env = webhook.secret_env;
  config.timeout = webhook.timeout;
  return config;
}

StatusOr<ChannelConfig> ParseChannel(std::string_view line) {
  size_t colon = line.find(':');
  std::string name;
  std::istringstream rest;
  if (colon != std::string_view::npos) {
    std::istringstream(std::string(line.substr(0, colon))) >> name;
    rest.str(std::string(line.substr(colon + 1)));
  }
  std::string kind_word;
  rest >> kind_word;
  if (name.empty() || kind_word.empty()) {
    return InvalidArgumentError(fmt::format(
        "alert-channel '{}': expected 'NAME: KIND ...' (KIND: webhook, slack, discord, telegram, "
        "ntfy, email, sns); in the configuration file, quote the whole value: alert-channel = "
        "\"NAME: KIND ...\"",
        line));
  }
  auto bad = [&](std::string_view why) {
    // The line names where the secret is, never the secret itself, so it may be quoted.
    return InvalidArgumentError(fmt::format("alert-channel {}: {}", name, why));
  };
  const auto* kind = std::find_if(std::begin(kKinds), std::end(kKinds),
                                  [&](const auto& k) { return k.second == kind_word; });
  if (kind == std::end(kKinds)) {
    return bad(fmt::format(
        "unknown kind '{}' (webhook, slack, discord, telegram, ntfy, email, sns)", kind_word));
  }
  std::vector<std::string> words;
  for (std::string word; rest >> word;) words.push_back(word);

  if (kind->first == ChannelKind::kWebhook) {
    // The alert-webhook grammar after the kind word: one parser, one set of messages.
    std::string webhook_line = name + ":";
    for (const std::string& word : words) webhook_line += " " + word;
    auto webhook = ParseWebhookChannel(webhook_line);
    if (!webhook.ok()) {
      std::string message(webhook.status().message());
      const std::string prefix = "alert-webhook " + name + ": ";
      if (message.starts_with(prefix)) message = message.substr(prefix.size());
      return bad(message);
    }
    return FromWebhook(*webhook);
  }

  ChannelConfig channel;
  channel.name = name;
  channel.kind = kind->first;
  // The positional word after the kind: ntfy's topic URL, email's server, sns's topic ARN.
  size_t first_option = 0;
  if (channel.kind == ChannelKind::kNtfy) {
    if (words.empty() || !IsHttpUrl(words[0]))
      return bad("expected the topic's URL (https://ntfy.sh/TOPIC) after 'ntfy'");
    channel.url = words[0];
    first_option = 1;
  } else if (channel.kind == ChannelKind::kEmail) {
    if (words.empty() || !((words[0].starts_with("smtp://") && words[0].size() > 7) ||
                           (words[0].starts_with("smtps://") && words[0].size() > 8))) {
      return bad(
          "expected the SMTP server after 'email': smtp://HOST[:PORT] (STARTTLS, required) or "
          "smtps://HOST[:PORT] (TLS from the start)");
    }
    channel.url = words[0];
    first_option = 1;
  } else if (channel.kind == ChannelKind::kSns) {
    // arn:aws:sns:REGION:ACCOUNT:TOPIC (partitions aws, aws-cn, aws-us-gov).
    std::vector<std::string> parts;
    if (!words.empty()) {
      std::istringstream arn(words[0]);
      for (std::string part; std::getline(arn, part, ':');) parts.push_back(part);
    }
    if (parts.size() != 6 || parts[0] != "arn" || !parts[1].starts_with("aws") ||
        parts[2] != "sns" || parts[3].empty() || parts[4].empty() || parts[5].empty()) {
      return bad("expected the topic's ARN after 'sns' (arn:aws:sns:REGION:ACCOUNT:TOPIC)");
    }
    channel.topic_arn = words[0];
    channel.region = parts[3];
    first_option = 1;
  }
  std::set<std::string> seen;
  for (size_t i = first_option; i < words.size(); ++i) {
    const std::string& word = words[i];
    size_t eq = word.find('=');
    if (eq == std::string::npos) return bad(fmt::format("unexpected '{}'", word));
    std::string key = word.substr(0, eq), value = word.substr(eq + 1);
    if (!seen.insert(key).second) return bad(fmt::format("{} is given twice", key));
    if (value.empty()) return bad(fmt::format("{} has no value", key));
    const std::string allowed(OptionsOf(channel.kind));
    bool known = false;
    for (const std::string& option : SplitCommaList(allowed)) known = known || option == key;
    if (!known) {
      return bad(fmt::format("unknown option '{}' for {} ({})", key, kind_word, allowed));
    }
    if (key == "secret-file") {
      channel.secret_file = value;
    } else if (key == "secret-env") {
      channel.secret_env = value;
    } else if (key == "timeout") {
      auto timeout = ParseDuration(value);
      if (!timeout.ok()) return bad(timeout.status().message());
      if (*timeout <= std::chrono::seconds(0) || *timeout > std::chrono::seconds(300)) {
        return bad("timeout must be 1s..300s");
      }
      channel.timeout = *timeout;
    } else if (key == "chat") {
      // A numeric id (-100... for groups and channels) or @channelusername.
      bool numeric =
          std::all_of(value.begin() + (value[0] == '-' ? 1 : 0), value.end(),
                      [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
      if (!(numeric && value != "-") && !(value[0] == '@' && value.size() > 1))
        return bad(fmt::format("chat='{}' is not a chat id (a number, or @channelname)", value));
      channel.chat_id = value;
    } else if (key == "api" || key == "endpoint") {
      if (!IsHttpUrl(value)) return bad(fmt::format("{} must be an http:// or https:// URL", key));
      channel.url = value;
      while (channel.url.ends_with('/')) channel.url.pop_back();
    } else if (key == "priority") {
      if (!kNtfyPriorities.contains(value))
        return bad("priority must be 1..5 or min, low, default, high, urgent");
      channel.priority = value;
    } else if (key == "tags") {
      channel.tags = value;
    } else if (key == "from") {
      if (!IsMailAddress(value)) return bad(fmt::format("from='{}' is not a mail address", value));
      channel.from = value;
    } else if (key == "to") {
      for (const std::string& address : SplitCommaList(value)) {
        if (!IsMailAddress(address))
          return bad(fmt::format("to: '{}' is not a mail address", address));
        channel.to.push_back(address);
      }
    } else if (key == "user") {
      channel.user = value;
    } else if (key == "ca-file") {
      channel.ca_file = value;
    }
  }
  if (!channel.secret_file.empty() && !channel.secret_env.empty()) {
    return bad("give one of secret-file and secret-env, not both");
  }
  switch (channel.kind) {
    case ChannelKind::kSlack:
    case ChannelKind::kDiscord:
      if (!channel.has_secret()) {
        return bad(fmt::format(
            "needs secret-file=PATH or secret-env=VARIABLE holding the {} webhook URL (it is a "
            "credential, so it is not written on this line)",
            kind_word));
      }
      break;
    case ChannelKind::kTelegram:
      if (channel.chat_id.empty()) return bad("needs chat=CHAT_ID (where the bot posts)");
      if (!channel.has_secret())
        return bad("needs secret-file=PATH or secret-env=VARIABLE holding the bot token");
      if (channel.url.empty()) channel.url = "https://api.telegram.org";
      break;
    case ChannelKind::kEmail:
      if (channel.from.empty()) return bad("needs from=ADDRESS");
      if (channel.to.empty()) return bad("needs to=ADDRESS[,ADDRESS]");
      if (channel.user.empty() != !channel.has_secret()) {
        return bad("user=NAME and secret-file=PATH|secret-env=VARIABLE (the password) go together");
      }
      break;
    case ChannelKind::kSns:
      if (channel.url.empty())
        channel.url = fmt::format("https://sns.{}.amazonaws.com", channel.region);
      break;
    case ChannelKind::kNtfy:
    case ChannelKind::kWebhook:
      break;
  }
  return channel;
}

}  // namespace coinlake::alerts
