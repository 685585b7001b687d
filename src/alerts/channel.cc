#include "alerts/channel.h"

#include <fmt/format.h>

#include "alerts/chat_channels.h"
#include "alerts/email_channel.h"
#include "alerts/sns_channel.h"
#include "alerts/webhook.h"
#include "aws/credentials.h"

namespace coinlake::alerts {

StatusOr<std::unique_ptr<Channel>> MakeChannel(const ChannelConfig& config) {
  std::string secret;
  if (config.has_secret()) {
    ASSIGN_OR_RETURN(secret, ReadChannelSecret(config.AsWebhook()));
  }
  switch (config.kind) {
    case ChannelKind::kWebhook:
      return MakeWebhookChannel(config, std::move(secret));
    case ChannelKind::kSlack:
    case ChannelKind::kDiscord:
      // The secret is the whole webhook URL; say so without showing it.
      if (!(secret.starts_with("https://") || secret.starts_with("http://"))) {
        return FailedPreconditionError(
            fmt::format("channel {}: its secret is not a {} webhook URL (https://...)", config.name,
                        KindName(config.kind)));
      }
      if (config.kind == ChannelKind::kSlack) return MakeSlackChannel(config, std::move(secret));
      return MakeDiscordChannel(config, std::move(secret));
    case ChannelKind::kTelegram:
      // BotFather's tokens are "<bot id>:<letters>"; anything with a '/' or space would change
      // the request's path.
      if (secret.find_first_of("/?# \t") != std::string::npos || secret.find(':') == 0 ||
          secret.find(':') == std::string::npos) {
        return FailedPreconditionError(fmt::format(
            "channel {}: its secret is not a Telegram bot token (123456:ABC...)", config.name));
      }
      return MakeTelegramChannel(config, std::move(secret));
    case ChannelKind::kNtfy:
      return MakeNtfyChannel(config, std::move(secret));
    case ChannelKind::kSns:
      // The chain the lake uses: environment, profile, container, instance role.
      return MakeSnsChannel(
          config, aws::MakeDefaultCredentialChain(aws::AwsEnvironment::FromEnvironment()));
    case ChannelKind::kEmail:
      return MakeEmailChannel(config, std::move(secret));
  }
  return FailedPreconditionError(fmt::format("channel {}: unknown kind", config.name));
}

}  // namespace coinlake::alerts
