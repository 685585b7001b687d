// E-mail over SMTP with TLS, through libcurl: smtp:// requires STARTTLS (a server that does not
// offer it is an error, never a plaintext send), smtps:// is TLS from the first byte. The
// server's certificate is verified against the system's CAs or the channel's ca-file. One
// message per notification: Subject is the notification's title, the body its line and the
// generic JSON payload; Message-ID is made from the idempotency key, so a repeat has the same
// Message-ID (some mail stores then keep one; SMTP itself cannot drop repeats).
#pragma once

#include <memory>
#include <string>

#include "alerts/channel.h"
#include "alerts/channel_config.h"
#include "common/time_util.h"

namespace coinlake::alerts {

// `password` is empty when the channel has no user=.
std::unique_ptr<Channel> MakeEmailChannel(const ChannelConfig& config, std::string password);

// The message as sent (CRLF line ends), for tests.
std::string EmailMessage(const ChannelConfig& config, const Notification& notification,
                         TimePoint now);

}  // namespace coinlake::alerts
