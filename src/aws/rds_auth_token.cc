#include "aws/rds_auth_token.h"

#include <fmt/format.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <utility>
#include <vector>

#include "aws/sigv4.h"
#include "common/bytes.h"
#include "common/time_util.h"

namespace coinlake::aws {
namespace {

std::string HmacSha256(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &length);
  return std::string(reinterpret_cast<const char*>(out), length);
}

class Generator : public RdsAuthTokenGenerator {
 public:
  Generator(std::shared_ptr<CredentialProvider> credentials, std::string region, WallClock clock)
      : credentials_(std::move(credentials)),
        region_(std::move(region)),
        clock_(std::move(clock)) {}

  StatusOr<std::string> Generate(std::string_view host, int port, std::string_view user) override {
    std::string region = region_.empty() ? RegionOfRdsHost(host) : region_;
    if (region.empty()) {
      return InvalidArgumentError(fmt::format(
          "IAM database authentication: no AWS region for '{}' (set AWS_REGION)", host));
    }
    ASSIGN_OR_RETURN(AwsCredentials credentials, credentials_->Get());
    return PresignRdsConnect(credentials, region, host, port, user, clock_());
  }

 private:
  const std::shared_ptr<CredentialProvider> credentials_;
  const std::string region_;
  const WallClock clock_;
};

}  // namespace

// SigV4 query-string signing ("presigning"), as @smithy/signature-v4 does it for RDS: the
// canonical request signs only the host header (HOST:PORT) and the hash of an empty payload,
// and the X-Amz-* parameters travel in the query with the two of the request.
std::string PresignRdsConnect(const AwsCredentials& credentials, std::string_view region,
                              std::string_view host, int port, std::string_view user,
                              std::chrono::system_clock::time_point now) {
  // "2026-11-28T04:00:00.000Z" -> "20261128T040000Z" (SigV4's basic ISO-8601, whole seconds).
  std::string iso = FormatIso8601(std::chrono::floor<std::chrono::milliseconds>(now));
  std::string date = iso.substr(0, 4) + iso.substr(5, 2) + iso.substr(8, 2);
  std::string timestamp =
      date + "T" + iso.substr(11, 2) + iso.substr(14, 2) + iso.substr(17, 2) + "Z";
  std::string scope = fmt::format("{}/{}/rds-db/aws4_request", date, region);
  std::string authority = fmt::format("{}:{}", host, port);

  std::vector<std::pair<std::string, std::string>> params = {
      {"Action", "connect"},
      {"DBUser", std::string(user)},
      {"X-Amz-Algorithm", "AWS4-HMAC-SHA256"},
      {"X-Amz-Credential", credentials.access_key_id + "/" + scope},
      {"X-Amz-Date", timestamp},
      {"X-Amz-Expires", std::to_string(kRdsTokenLifetimeSeconds)},
      {"X-Amz-SignedHeaders", "host"},
  };
  if (!credentials.session_token.empty()) {
    params.emplace_back("X-Amz-Security-Token", credentials.session_token);
  }
  std::string canonical_request = fmt::format(
      "GET\n/\n{}\nhost:{}\n\nhost\n{}", CanonicalQuery(params), authority, kEmptyPayloadSha256);
  std::string string_to_sign =
      fmt::format("AWS4-HMAC-SHA256\n{}\n{}\n{}", timestamp, scope, Sha256Hex(canonical_request));
  std::string key = HmacSha256("AWS4" + credentials.secret_access_key, date);
  key = HmacSha256(key, region);
  key = HmacSha256(key, "rds-db");
  key = HmacSha256(key, "aws4_request");
  params.emplace_back("X-Amz-Signature", HexEncode(HmacSha256(key, string_to_sign)));
  // The token is the presigned URL without its scheme; its query is in canonical order, as the
  // SDKs write it.
  return fmt::format("{}/?{}", authority, CanonicalQuery(std::move(params)));
}

std::string RegionOfRdsHost(std::string_view host) {
  for (std::string_view suffix : {".rds.amazonaws.com", ".rds.amazonaws.com.cn"}) {
    if (host.size() <= suffix.size() || !host.ends_with(suffix)) continue;
    std::string_view rest = host.substr(0, host.size() - suffix.size());
    size_t dot = rest.rfind('.');
    return std::string(dot == std::string_view::npos ? rest : rest.substr(dot + 1));
  }
  return "";
}

std::shared_ptr<RdsAuthTokenGenerator> MakeRdsAuthTokenGenerator(
    std::shared_ptr<CredentialProvider> credentials, std::string region, WallClock clock) {
  return std::make_shared<Generator>(std::move(credentials), std::move(region), std::move(clock));
}

}  // namespace coinlake::aws
