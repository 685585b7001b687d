#include "aws/credentials.h"

#include <curl/curl.h>
#include <fmt/format.h>

#include <cstdlib>
#include <fstream>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>

#include "aws/http.h"
#include "common/log.h"
#include "common/time_util.h"

namespace coinlake::aws {
namespace {

using Clock = std::chrono::system_clock;

// Temporary credentials are refreshed this long before they expire (EC2 publishes new ones at
// least 5 minutes ahead).
constexpr auto kRefreshBefore = std::chrono::minutes(10);

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

std::string Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}

std::optional<std::string> ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The key/value pairs of one INI section.
std::optional<std::map<std::string, std::string>> IniSection(std::string_view text,
                                                             const std::string& section) {
  std::optional<std::map<std::string, std::string>> found;
  bool in_section = false;
  std::istringstream lines{std::string(text)};
  std::string line;
  while (std::getline(lines, line)) {
    std::string t = Trim(line);
    if (t.empty() || t[0] == '#' || t[0] == ';') continue;
    if (t.front() == '[' && t.back() == ']') {
      in_section = Trim(t.substr(1, t.size() - 2)) == section;
      if (in_section && !found) found.emplace();
      continue;
    }
    size_t eq = t.find('=');
    if (in_section && eq != std::string::npos)
      (*found)[Trim(t.substr(0, eq))] = Trim(t.substr(eq + 1));
  }
  return found;
}

AwsCredentials Registered(AwsCredentials c) {
  log::RegisterSecret(c.secret_access_key);
  log::RegisterSecret(c.session_token);
  return c;
}

StatusOr<std::string> MetadataGet(const std::string& url, std::vector<std::string> headers,
                                  const std::string& what, const std::string& method = "GET") {
  AwsHttpRequest request;
  request.method = method;
  request.url = url;
  request.headers = std::move(headers);
  request.connect_timeout = std::chrono::milliseconds(1000);
  request.total_timeout = std::chrono::milliseconds(2000);
  request.no_proxy = true;
  if (method == "PUT") request.body = std::string_view();
  ASSIGN_OR_RETURN(AwsHttpResponse response, PerformAwsHttp(request));
  if (response.http_status != 200) {
    return UnavailableError(fmt::format("{}: HTTP {}", what, response.http_status));
  }
  return response.body;
}

// AWS_CONTAINER_CREDENTIALS_FULL_URI may only name https or, over plain http, a loopback or
// the ECS/EKS link-local host, so a tampered environment cannot send the token to an arbitrary
// server. The host is compared exactly as libcurl parses it (the URL it will connect to), and a
// URL with user info is refused: "http://127.0.0.1:1@attacker/" names the host "attacker".
bool AllowedContainerUri(const std::string& url) {
  std::unique_ptr<CURLU, decltype(&curl_url_cleanup)> parsed(curl_url(), curl_url_cleanup);
  if (!parsed || curl_url_set(parsed.get(), CURLUPART_URL, url.c_str(), 0) != CURLUE_OK) {
    return false;
  }
  auto part = [&](CURLUPart which) -> std::optional<std::string> {
    char* text = nullptr;
    if (curl_url_get(parsed.get(), which, &text, 0) != CURLUE_OK) return std::nullopt;
    std::string copy = text;
    curl_free(text);
    return copy;
  };
  if (part(CURLUPART_USER) || part(CURLUPART_PASSWORD)) return false;
  std::optional<std::string> scheme = part(CURLUPART_SCHEME);
  std::optional<std::string> host = part(CURLUPART_HOST);
  if (!scheme || !host) return false;
  if (*scheme == "https") return true;
  if (*scheme != "http") return false;
  for (std::string_view allowed :
       {"127.0.0.1", "localhost", "[::1]", "169.254.170.2", "169.254.170.23", "[fd00:ec2::23]"}) {
    if (*host == allowed) return true;
  }
  return false;
}

StatusOr<AwsCredentials> FromContainer(const AwsEnvironment& env) {
  std::string url = !env.container_relative_uri.empty()
                        ? "http://169.254.170.2" + env.container_relative_uri
                        : env.container_full_uri;
  if (!AllowedContainerUri(url)) {
    return PermissionDeniedError(
        "AWS_CONTAINER_CREDENTIALS_FULL_URI must be https or a loopback/ECS/EKS link-local host");
  }
  std::vector<std::string> headers;
  std::string token = env.container_token;
  if (!env.container_token_file.empty()) {  // re-read on every refresh: it rotates
    auto text = ReadWholeFile(env.container_token_file);
    if (!text) return UnavailableError("container credentials: cannot read the token file");
    token = Trim(*text);
  }
  if (!token.empty()) {
    log::RegisterSecret(token);
    headers.push_back("Authorization: " + token);
  }
  ASSIGN_OR_RETURN(std::string body, MetadataGet(url, headers, "container credentials"));
  return ParseTemporaryCredentials(body, "container");
}

// IMDSv2: a session token first, then the role, then its credentials. Never IMDSv1.
StatusOr<AwsCredentials> FromImds(const AwsEnvironment& env) {
  std::string base = env.imds_endpoint;
  while (!base.empty() && base.back() == '/') base.pop_back();
  ASSIGN_OR_RETURN(std::string token, MetadataGet(base + "/latest/api/token",
                                                  {"X-aws-ec2-metadata-token-ttl-seconds: 21600"},
                                                  "IMDSv2 token", "PUT"));
  log::RegisterSecret(token);
  std::vector<std::string> auth = {"X-aws-ec2-metadata-token: " + token};
  const std::string creds_path = base + "/latest/meta-data/iam/security-credentials/";
  ASSIGN_OR_RETURN(std::string roles, MetadataGet(creds_path, auth, "IMDS role"));
  std::string role = Trim(roles.substr(0, roles.find('\n')));
  if (role.empty()) return PermissionDeniedError("IMDS: this instance has no IAM role");
  ASSIGN_OR_RETURN(std::string body, MetadataGet(creds_path + role, auth, "IMDS credentials"));
  return ParseTemporaryCredentials(body, "imds role " + role);
}

StatusOr<AwsCredentials> LoadFromChain(const AwsEnvironment& env) {
  if (!env.access_key_id.empty() && !env.secret_access_key.empty()) {
    return Registered(
        {env.access_key_id, env.secret_access_key, env.session_token, std::nullopt, "environment"});
  }
  if (auto text = ReadWholeFile(env.credentials_file)) {
    auto c = CredentialsFromProfile(*text, env.profile, false);
    if (c.ok()) return Registered(*std::move(c));
  }
  if (auto text = ReadWholeFile(env.config_file)) {
    auto c = CredentialsFromProfile(*text, env.profile, true);
    if (c.ok()) return Registered(*std::move(c));
  }
  if (!env.container_relative_uri.empty() || !env.container_full_uri.empty()) {
    return FromContainer(env);
  }
  if (env.imds_disabled) {
    return PermissionDeniedError(
        "no AWS credentials: set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, a profile in "
        "~/.aws/credentials, or run with an instance role");
  }
  auto imds = FromImds(env);
  if (!imds.ok()) {
    return imds.status().WithContext(
        "no AWS credentials in the environment or shared files, and instance metadata failed");
  }
  return imds;
}

class ChainProvider : public CredentialProvider {
 public:
  explicit ChainProvider(AwsEnvironment env) : env_(std::move(env)) {}

  StatusOr<AwsCredentials> Get() override {
    std::lock_guard lock(mu_);
    auto now = Clock::now();
    if (cached_ && (!cached_->expiration || now < *cached_->expiration - kRefreshBefore)) {
      return *cached_;
    }
    auto fresh = LoadFromChain(env_);
    if (fresh.ok()) {
      if (!cached_ || cached_->access_key_id != fresh->access_key_id) {
        log::Info("aws credentials loaded", {{"source", fresh->source}});
      }
      cached_ = *fresh;
      return *cached_;
    }
    if (cached_ && cached_->expiration && now < *cached_->expiration) {
      log::Warn("aws credential refresh failed; using cached credentials until they expire",
                {{"error", fresh.status().ToString()}, {"source", cached_->source}});
      return *cached_;
    }
    return fresh.status();
  }

  void Invalidate() override {
    std::lock_guard lock(mu_);
    cached_.reset();
  }

 private:
  const AwsEnvironment env_;
  std::mutex mu_;
  std::optional<AwsCredentials> cached_;
};

class StaticProvider : public CredentialProvider {
 public:
  explicit StaticProvider(AwsCredentials c) : c_(Registered(std::move(c))) {}
  StatusOr<AwsCredentials> Get() override { return c_; }
  void Invalidate() override {}

 private:
  const AwsCredentials c_;
};

}  // namespace

AwsEnvironment AwsEnvironment::FromEnvironment() {
  AwsEnvironment env;
  env.access_key_id = Env("AWS_ACCESS_KEY_ID");
  env.secret_access_key = Env("AWS_SECRET_ACCESS_KEY");
  env.session_token = Env("AWS_SESSION_TOKEN");
  env.region = Env("AWS_REGION");
  if (env.region.empty()) env.region = Env("AWS_DEFAULT_REGION");
  env.profile = Env("AWS_PROFILE");
  if (env.profile.empty()) env.profile = Env("AWS_DEFAULT_PROFILE");
  if (env.profile.empty()) env.profile = "default";
  std::string home = Env("HOME");
  env.credentials_file = Env("AWS_SHARED_CREDENTIALS_FILE");
  if (env.credentials_file.empty()) env.credentials_file = home + "/.aws/credentials";
  env.config_file = Env("AWS_CONFIG_FILE");
  if (env.config_file.empty()) env.config_file = home + "/.aws/config";
  env.container_relative_uri = Env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
  env.container_full_uri = Env("AWS_CONTAINER_CREDENTIALS_FULL_URI");
  env.container_token = Env("AWS_CONTAINER_AUTHORIZATION_TOKEN");
  env.container_token_file = Env("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
  if (std::string e = Env("AWS_EC2_METADATA_SERVICE_ENDPOINT"); !e.empty()) env.imds_endpoint = e;
  env.imds_disabled = Env("AWS_EC2_METADATA_DISABLED") == "true";
  return env;
}

std::string ResolveRegion(const AwsEnvironment& env) {
  if (!env.region.empty()) return env.region;
  auto text = ReadWholeFile(env.config_file);
  if (!text) return "";
  auto section = IniSection(*text, env.profile == "default" ? "default" : "profile " + env.profile);
  if (!section || !section->count("region")) return "";
  return section->at("region");
}

StatusOr<AwsCredentials> CredentialsFromProfile(std::string_view file_text,
                                                const std::string& profile, bool config_style) {
  std::string name = config_style && profile != "default" ? "profile " + profile : profile;
  auto section = IniSection(file_text, name);
  if (!section || !section->count("aws_access_key_id") ||
      !section->count("aws_secret_access_key")) {
    return NotFoundError(fmt::format("no credentials for profile '{}'", profile));
  }
  AwsCredentials c;
  c.access_key_id = section->at("aws_access_key_id");
  c.secret_access_key = section->at("aws_secret_access_key");
  if (section->count("aws_session_token")) c.session_token = section->at("aws_session_token");
  c.source = "profile " + profile;
  return c;
}

StatusOr<AwsCredentials> ParseTemporaryCredentials(const std::string& body, std::string source) {
  nlohmann::json j = nlohmann::json::parse(body, nullptr, false);
  if (!j.is_object() || !j.contains("AccessKeyId") || !j.contains("SecretAccessKey") ||
      !j["AccessKeyId"].is_string() || !j["SecretAccessKey"].is_string()) {
    return UnavailableError(fmt::format("{}: the credentials document is incomplete", source));
  }
  AwsCredentials c;
  c.access_key_id = j["AccessKeyId"].get<std::string>();
  c.secret_access_key = j["SecretAccessKey"].get<std::string>();
  if (j.contains("Token") && j["Token"].is_string())
    c.session_token = j["Token"].get<std::string>();
  if (j.contains("Expiration") && j["Expiration"].is_string()) {
    auto when = ParseIso8601(j["Expiration"].get<std::string>());
    // system_clock counts nanoseconds (years 1678..2262): a time outside 1970..2200 is refused
    // rather than overflowed in the cast below (found by fuzz/aws_credentials_fuzzer.cc).
    constexpr auto kLatest = std::chrono::sys_days(std::chrono::year(2200) / 1 / 1);
    if (!when.ok() || *when < TimePoint() || *when > kLatest) {
      return UnavailableError(fmt::format("{}: bad Expiration", source));
    }
    c.expiration = std::chrono::time_point_cast<Clock::duration>(*when);
  }
  c.source = std::move(source);
  return Registered(std::move(c));
}

std::shared_ptr<CredentialProvider> MakeDefaultCredentialChain(AwsEnvironment env) {
  return std::make_shared<ChainProvider>(std::move(env));
}

std::shared_ptr<CredentialProvider> MakeStaticCredentials(AwsCredentials credentials) {
  return std::make_shared<StaticProvider>(std::move(credentials));
}

}  // namespace coinlake::aws
