// The AWS credential chain, without the SDK: environment -> shared credentials/config files ->
// container endpoint -> EC2 instance metadata (IMDSv2 only). docs/lake.md describes each source.
//
// Secret keys and session tokens are registered with log::RegisterSecret as soon as they are
// read, so no log line or error message can carry them.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "common/status.h"

namespace coinlake::aws {

struct AwsCredentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // empty for long-term keys; sent as x-amz-security-token
  // Set for temporary credentials (container, IMDS): they must be refreshed before this.
  std::optional<std::chrono::system_clock::time_point> expiration;
  std::string source;  // "environment", "profile default", "container", "imds role <name>"
};

// Where the chain looks. FromEnvironment() reads the process environment; tests build their own.
struct AwsEnvironment {
  std::string access_key_id, secret_access_key, session_token;  // AWS_ACCESS_KEY_ID, ...
  std::string region;                  // AWS_REGION, else AWS_DEFAULT_REGION
  std::string profile;                 // AWS_PROFILE (else AWS_DEFAULT_PROFILE), default "default"
  std::string credentials_file;        // AWS_SHARED_CREDENTIALS_FILE, default ~/.aws/credentials
  std::string config_file;             // AWS_CONFIG_FILE, default ~/.aws/config
  std::string container_relative_uri;  // AWS_CONTAINER_CREDENTIALS_RELATIVE_URI
  std::string container_full_uri;      // AWS_CONTAINER_CREDENTIALS_FULL_URI
  std::string container_token;         // AWS_CONTAINER_AUTHORIZATION_TOKEN
  std::string container_token_file;    // AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE (wins)
  std::string imds_endpoint = "http://169.254.169.254";  // AWS_EC2_METADATA_SERVICE_ENDPOINT
  bool imds_disabled = false;                            // AWS_EC2_METADATA_DISABLED=true

  static AwsEnvironment FromEnvironment();
};

// The region from the environment or the profile's `region` in the config file; empty if none.
std::string ResolveRegion(const AwsEnvironment& env);

// Thread-safe source of credentials for signing. Temporary credentials are cached and refreshed
// when less than 10 minutes remain; if a refresh fails, the cached ones are used until they
// really expire (and the failure is logged).
class CredentialProvider {
 public:
  virtual ~CredentialProvider() = default;
  // PERMISSION_DENIED when no source has credentials; UNAVAILABLE when a source is unreachable
  // and nothing usable is cached.
  virtual StatusOr<AwsCredentials> Get() = 0;
  // Forgets cached credentials (after S3 said ExpiredToken), so the next Get() fetches anew.
  virtual void Invalidate() = 0;
};

// The default chain: the first source that has credentials wins, at each (re)load.
std::shared_ptr<CredentialProvider> MakeDefaultCredentialChain(AwsEnvironment env);

// Fixed credentials (tests, or keys given explicitly).
std::shared_ptr<CredentialProvider> MakeStaticCredentials(AwsCredentials credentials);

// Parses the INI-style shared files: the `[<profile>]` section of a credentials file, or
// `[profile <name>]` (`[default]` for default) of a config file. NOT_FOUND if absent.
StatusOr<AwsCredentials> CredentialsFromProfile(std::string_view file_text,
                                                const std::string& profile, bool config_style);

// The container endpoint's and IMDS's answer, {"AccessKeyId", "SecretAccessKey", "Token",
// "Expiration"}; `source` names it in logs. UNAVAILABLE when incomplete or malformed.
StatusOr<AwsCredentials> ParseTemporaryCredentials(const std::string& body, std::string source);

}  // namespace coinlake::aws
