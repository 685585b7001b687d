// RDS IAM database authentication tokens, without the SDK (docs/deploy.md, "IAM database
// authentication"). A token is a SigV4-presigned `GET https://HOST:PORT/?Action=connect&
// DBUser=USER` for the service `rds-db`, valid 15 minutes, with "https://" left out; PostgreSQL
// on RDS takes it as the password of a user granted `rds_iam`. The signing credentials come from
// the same chain the S3 lake uses (aws_credentials.h).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "aws/credentials.h"
#include "common/status.h"

namespace coinlake::aws {

// How long a token is valid, in seconds (X-Amz-Expires); RDS accepts at most 900.
inline constexpr int kRdsTokenLifetimeSeconds = 900;

// The token for `user` at `host`:`port`, signed with `credentials` for `region` at time `now`.
// Pure: tests compare it byte for byte with AWS's own signer (@aws-sdk/rds-signer).
std::string PresignRdsConnect(const AwsCredentials& credentials, std::string_view region,
                              std::string_view host, int port, std::string_view user,
                              std::chrono::system_clock::time_point now);

// The region named by an RDS endpoint (`<id>.<hash>.<region>.rds.amazonaws.com`, also the
// `.amazonaws.com.cn` partition); empty for any other host name.
std::string RegionOfRdsHost(std::string_view host);

// Makes tokens for new database connections. Thread-safe.
class RdsAuthTokenGenerator {
 public:
  virtual ~RdsAuthTokenGenerator() = default;
  // A token made now, for one new connection (never reuse one: it expires after 15 minutes).
  // INVALID_ARGUMENT when no region is known; the credential chain's PERMISSION_DENIED or
  // UNAVAILABLE pass through.
  virtual StatusOr<std::string> Generate(std::string_view host, int port,
                                         std::string_view user) = 0;
};

using WallClock = std::function<std::chrono::system_clock::time_point()>;

// Signs with `credentials` for `region`; an empty `region` means the region in the RDS host
// name. `clock` gives the signing time (tests fix it).
std::shared_ptr<RdsAuthTokenGenerator> MakeRdsAuthTokenGenerator(
    std::shared_ptr<CredentialProvider> credentials, std::string region,
    WallClock clock = [] { return std::chrono::system_clock::now(); });

}  // namespace coinlake::aws
