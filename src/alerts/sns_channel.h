// Amazon SNS: one Publish per notification (https://docs.aws.amazon.com/sns/latest/api/
// API_Publish.html), SigV4-signed with the AWS credential chain the lake uses. Subject is the
// notification's title, Message its line followed by the generic JSON payload. A FIFO topic
// (ARN ending in .fifo) also gets MessageGroupId (the channel: one ordered stream) and
// MessageDeduplicationId (from the idempotency key), so SNS drops a repeat within its 5-minute
// deduplication window; a standard topic cannot drop repeats.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "alerts/channel.h"
#include "alerts/channel_config.h"
#include "aws/credentials.h"

namespace coinlake::alerts {

std::unique_ptr<Channel> MakeSnsChannel(const ChannelConfig& config,
                                        std::shared_ptr<aws::CredentialProvider> credentials);

// The form body of a Publish (keys sorted, values percent-encoded as SigV4 wants), for tests.
std::string SnsPublishBody(const ChannelConfig& config, const Notification& notification);

// How an SNS answer reads: 2xx delivered with its MessageId; an ErrorResponse's Code decides
// whether the error is worth waiting for (Throttling, InternalError, KMSThrottling, ...) or
// permanent until someone acts (AuthorizationError, NotFound, InvalidParameter, ...); both are
// retried with backoff.
ChannelAnswer ReadSnsAnswer(int http_status, std::string_view body);

}  // namespace coinlake::alerts
