#include "lake/s3_object_store.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <fstream>

#include "aws/http.h"
#include "aws/sigv4.h"
#include "common/bytes.h"
#include "common/log.h"
#include "lake/s3_xml.h"

namespace coinlake::lake {
namespace {

std::string PercentDecode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() + 0 &&
        std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out.push_back(static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

bool ValidBucket(const std::string& b) {
  if (b.size() < 3 || b.size() > 63) return false;
  for (char c : b) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.')) return false;
  }
  return b.front() != '-' && b.front() != '.' && b.back() != '-' && b.back() != '.';
}

}  // namespace

StatusOr<S3Location> ParseS3Url(const std::string& url) {
  constexpr std::string_view kScheme = "s3://";
  if (url.rfind(kScheme, 0) != 0)
    return InvalidArgumentError(fmt::format("'{}' is not s3://", url));
  std::string rest = url.substr(kScheme.size());
  std::string query;
  if (size_t q = rest.find('?'); q != std::string::npos) {
    query = rest.substr(q + 1);
    rest.resize(q);
  }
  S3Location loc;
  size_t slash = rest.find('/');
  loc.bucket = rest.substr(0, slash);
  if (slash != std::string::npos) loc.prefix = rest.substr(slash + 1);
  while (!loc.prefix.empty() && loc.prefix.back() == '/') loc.prefix.pop_back();
  if (!ValidBucket(loc.bucket)) {
    return InvalidArgumentError(fmt::format(
        "lake URL '{}': '{}' is not a valid bucket name (3-63 of a-z 0-9 . -)", url, loc.bucket));
  }
  if (!loc.prefix.empty() && !ValidateKey(loc.prefix).ok()) {
    return InvalidArgumentError(fmt::format("lake URL '{}': bad prefix '{}'", url, loc.prefix));
  }
  std::optional<bool> path_style;
  size_t start = 0;
  while (start < query.size()) {
    size_t end = query.find('&', start);
    if (end == std::string::npos) end = query.size();
    std::string param = query.substr(start, end - start);
    start = end + 1;
    size_t eq = param.find('=');
    std::string name = param.substr(0, eq);
    std::string value = eq == std::string::npos ? "" : PercentDecode(param.substr(eq + 1));
    if (name == "region") {
      loc.region = value;
    } else if (name == "endpoint") {
      while (!value.empty() && value.back() == '/') value.pop_back();
      if (value.rfind("http://", 0) != 0 && value.rfind("https://", 0) != 0) {
        return InvalidArgumentError(
            fmt::format("lake URL '{}': endpoint must start with http:// or https://", url));
      }
      loc.endpoint = value;
    } else if (name == "path_style") {
      if (value != "true" && value != "false") {
        return InvalidArgumentError(fmt::format("lake URL '{}': path_style is true or false", url));
      }
      path_style = value == "true";
    } else if (name == "timeout") {
      int seconds = 0;
      auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
      if (ec != std::errc() || end != value.data() + value.size() || seconds < 1 ||
          seconds > 3600) {
        return InvalidArgumentError(
            fmt::format("lake URL '{}': timeout is whole seconds, 1 to 3600", url));
      }
      loc.request_timeout = std::chrono::seconds(seconds);
    } else {
      return InvalidArgumentError(fmt::format(
          "lake URL '{}': unknown parameter '{}' (region, endpoint, path_style, timeout)", url,
          name));
    }
  }
  loc.path_style = path_style.value_or(!loc.endpoint.empty());
  return loc;
}

std::string S3RequestUrl(const S3Location& loc, const std::string& key,
                         const std::string& canonical_query) {
  std::string endpoint =
      loc.endpoint.empty() ? fmt::format("https://s3.{}.amazonaws.com", loc.region) : loc.endpoint;
  std::string url;
  if (loc.path_style) {
    url = endpoint + "/" + loc.bucket + "/";
  } else {
    size_t host = endpoint.find("://") + 3;
    url = endpoint.substr(0, host) + loc.bucket + "." + endpoint.substr(host) + "/";
  }
  url += aws::AwsUriEncode(key, true);
  if (!canonical_query.empty()) url += "?" + canonical_query;
  return url;
}

Status ClassifyS3Error(int http_status, const std::string& code, const std::string& message) {
  std::string what = fmt::format("S3 HTTP {} {}: {}", http_status, code.empty() ? "-" : code,
                                 message.empty() ? "(no message)" : message);
  if (code == "RequestTimeTooSkewed") {
    return FailedPreconditionError(
        "the clock differs from S3's by more than 15 minutes (RequestTimeTooSkewed): fix the "
        "system clock (chrony / Amazon Time Sync); " +
        what);
  }
  if (code == "SlowDown" || code == "InternalError" || code == "ServiceUnavailable" ||
      code == "RequestTimeout" || code == "ConditionalRequestConflict" || http_status == 409 ||
      http_status >= 500) {
    return UnavailableError(what);
  }
  if (code == "AccessDenied" || code == "SignatureDoesNotMatch" || code == "InvalidAccessKeyId" ||
      code == "ExpiredToken" || code == "InvalidToken" || http_status == 401 ||
      http_status == 403) {
    return PermissionDeniedError(what);
  }
  if (code == "BadDigest" || code == "XAmzContentSHA256Mismatch" || code == "InvalidDigest") {
    return DataLossError(what + " (the bytes were corrupted on the way; nothing was stored)");
  }
  if (code == "NoSuchBucket") return FailedPreconditionError(what);
  if (code == "NoSuchKey" || http_status == 404) return NotFoundError(what);
  return InternalError(what);
}

struct S3ObjectStore::Impl {
  S3Location loc;
  std::shared_ptr<aws::CredentialProvider> credentials;
  BackoffPolicy retry;
  StopSignal never_stopped;
  StopSignal* stop = &never_stopped;

  std::string FullKey(const std::string& key) const {
    return loc.prefix.empty() ? key : loc.prefix + "/" + key;
  }

  // Sends one request with retries. Answers whose status is in `accepted` (or 2xx) come back
  // as responses; anything else becomes a Status (ClassifyS3Error).
  StatusOr<aws::AwsHttpResponse> Send(
      const std::string& method, const std::string& key, const std::string& query,
      std::vector<std::string> headers, std::optional<std::string_view> body,
      std::vector<int> accepted,
      const std::function<Status(const aws::AwsHttpResponse&)>& check = {}) {
    std::string url = S3RequestUrl(loc, key, query);
    std::string payload_sha = body ? Sha256Hex(*body) : std::string(aws::kEmptyPayloadSha256);
    headers.push_back("x-amz-content-sha256: " + payload_sha);
    std::optional<aws::AwsHttpResponse> result;
    bool refreshed = false;
    Status status = RetryWithBackoff(
        retry, *stop, fmt::format("s3 {} {}", method, url),
        [&]() -> Status {
          ASSIGN_OR_RETURN(aws::AwsCredentials creds, credentials->Get());
          aws::AwsHttpRequest request;
          request.method = method;
          request.url = url;
          request.headers = headers;
          request.body = body;
          request.total_timeout = loc.request_timeout;
          request.connect_timeout = std::min(loc.request_timeout, request.connect_timeout);
          request.stop = stop;
          request.signing = aws::AwsSigning{loc.region, "s3", creds.access_key_id,
                                            creds.secret_access_key, creds.session_token};
          ASSIGN_OR_RETURN(aws::AwsHttpResponse response, aws::PerformAwsHttp(request));
          bool ok =
              (response.http_status >= 200 && response.http_status < 300) ||
              std::find(accepted.begin(), accepted.end(), response.http_status) != accepted.end();
          if (ok) {
            if (check) RETURN_IF_ERROR(check(response));
            result = std::move(response);
            return Status::Ok();
          }
          S3Error error;
          if (auto parsed = ParseS3Error(response.body); parsed.ok()) error = *parsed;
          if ((error.code == "ExpiredToken" || error.code == "InvalidToken") && !refreshed) {
            refreshed = true;  // one forced refresh, then one retry
            credentials->Invalidate();
            return UnavailableError("S3 says the session token expired; refreshing credentials");
          }
          Status classified = ClassifyS3Error(response.http_status, error.code, error.message);
          if (!response.request_id.empty()) {
            classified = classified.WithContext("request id " + response.request_id);
          }
          return classified;
        },
        IsTransient);
    if (!status.ok()) return status.WithContext(fmt::format("s3 {} {}", method, url));
    return *std::move(result);
  }
};

StatusOr<std::unique_ptr<S3ObjectStore>> S3ObjectStore::Open(
    S3Location location, std::shared_ptr<aws::CredentialProvider> credentials, BackoffPolicy retry,
    StopSignal* stop) {
  if (location.region.empty()) return InvalidArgumentError("S3 store needs a region");
  auto impl = std::make_unique<Impl>();
  impl->loc = std::move(location);
  impl->credentials = std::move(credentials);
  impl->retry = retry;
  if (stop != nullptr) impl->stop = stop;
  return std::unique_ptr<S3ObjectStore>(new S3ObjectStore(std::move(impl)));
}

S3ObjectStore::S3ObjectStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
S3ObjectStore::~S3ObjectStore() = default;

std::string S3ObjectStore::url() const {
  return "s3://" + impl_->loc.bucket + (impl_->loc.prefix.empty() ? "" : "/" + impl_->loc.prefix);
}

Status S3ObjectStore::Put(const std::string& key, std::string_view data) {
  RETURN_IF_ERROR(ValidateKey(key));
  std::string digest = Sha256(data);
  ASSIGN_OR_RETURN(aws::AwsHttpResponse response,
                   impl_->Send("PUT", impl_->FullKey(key), "",
                               {"Content-Type: application/octet-stream", "If-None-Match: *",
                                "x-amz-checksum-sha256: " + Base64Encode(digest)},
                               data, {412}));
  if (response.http_status != 412) return Status::Ok();
  // The key exists: the same bytes make this a no-op; different bytes are never overwritten.
  ASSIGN_OR_RETURN(std::string stored, Get(key));
  if (Sha256(stored) == digest) return Status::Ok();
  log::Error("lake object exists with different bytes; not overwritten",
             {{"key", key}, {"store", url()}});
  return DataLossError(
      fmt::format("{}: {} already holds different bytes (sha256 {} vs new {}); not overwritten",
                  url(), key, Sha256Hex(stored), HexEncode(digest)));
}

Status S3ObjectStore::PutFile(const std::string& key, const std::string& path) {
  RETURN_IF_ERROR(ValidateKey(key));
  std::error_code error;
  const auto size = static_cast<int64_t>(std::filesystem::file_size(path, error));
  if (error) return UnavailableError(fmt::format("cannot read {}: {}", path, error.message()));
  // Parts cannot carry If-None-Match, which the bucket policy demands of every write under raw/
  // and quarantine/: only derived objects (curated/, the day files) go up in parts.
  if (static_cast<size_t>(size) <= impl_->loc.part_bytes || !IsDerivedKey(key)) {
    return ObjectStore::PutFile(key, path);
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return UnavailableError(fmt::format("cannot read {}", path));
  // Most often a key that exists was put by an earlier try (a rerun after a crash): compared
  // without sending the file. The completion's If-None-Match still guards against a race.
  auto existing = Head(key);
  bool exists = existing.ok();
  if (!exists && existing.status().code() != StatusCode::kNotFound) return existing.status();
  std::string file_sha;
  if (!exists) {
    const std::string full = impl_->FullKey(key);
    ASSIGN_OR_RETURN(
        aws::AwsHttpResponse started,
        impl_->Send("POST", full, "uploads=",
                    {"Content-Type: application/octet-stream", "x-amz-checksum-algorithm: SHA256"},
                    std::string_view(), {}));
    ASSIGN_OR_RETURN(std::string upload_id, ParseInitiateMultipartUpload(started.body));
    const std::string upload = aws::CanonicalQuery({{"uploadId", upload_id}});
    StatusOr<bool> stored = UploadParts(full, upload, in, file_sha);
    if (stored.ok() && *stored) return Status::Ok();
    // Parts of an upload that is never completed are billed until aborted.
    auto aborted = impl_->Send("DELETE", full, upload, {}, std::nullopt, {404});
    if (!aborted.ok()) {
      log::Warn(
          "a failed multipart upload could not be aborted; the bucket's lifecycle rule "
          "will",
          {{"key", key}, {"error", aborted.status().ToString()}});
    }
    if (!stored.ok()) return stored.status();
    ASSIGN_OR_RETURN(existing, Head(key));
  } else {
    ASSIGN_OR_RETURN(file_sha, Sha256HexOfFile(path));
  }
  if (existing->size == size) {
    ASSIGN_OR_RETURN(std::string stored_sha, StoredSha256Hex(key, size));
    if (stored_sha == file_sha) return Status::Ok();
  }
  log::Error("lake object exists with different bytes; not overwritten",
             {{"key", key}, {"store", url()}});
  return DataLossError(
      fmt::format("{}: {} already holds different bytes ({} bytes, {} new); not "
                  "overwritten",
                  url(), key, existing->size, size));
}

StatusOr<bool> S3ObjectStore::UploadParts(const std::string& full_key,
                                          const std::string& upload_query, std::istream& in,
                                          std::string& hex_sha256) {
  Sha256Stream whole;
  std::string buffer(impl_->loc.part_bytes, '\0');
  std::string parts;
  for (int number = 1;; ++number) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    const auto n = static_cast<size_t>(in.gcount());
    if (in.bad()) return UnavailableError("reading the file to upload failed");
    if (n == 0) break;
    const std::string_view part(buffer.data(), n);
    whole.Update(part);
    const std::string checksum = Base64Encode(Sha256(part));
    ASSIGN_OR_RETURN(
        aws::AwsHttpResponse sent,
        impl_->Send(
            "PUT", full_key, fmt::format("partNumber={}&{}", number, upload_query),
            {"Content-Type: application/octet-stream", "x-amz-checksum-sha256: " + checksum}, part,
            {}));
    if (sent.etag.empty()) return InternalError("S3 answered an uploaded part without its ETag");
    parts += fmt::format(
        "<Part><PartNumber>{}</PartNumber><ETag>{}</ETag><ChecksumSHA256>{}</ChecksumSHA256>"
        "</Part>",
        number, sent.etag, checksum);
    if (n < buffer.size()) break;
  }
  hex_sha256 = whole.HexDigest();
  const std::string body =
      "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">" + parts +
      "</CompleteMultipartUpload>";
  // S3 may answer a completion 200 with an Error document in the body: retried when transient.
  ASSIGN_OR_RETURN(aws::AwsHttpResponse completed,
                   impl_->Send("POST", full_key, upload_query,
                               {"Content-Type: application/xml", "If-None-Match: *"}, body, {412},
                               [](const aws::AwsHttpResponse& r) -> Status {
                                 if (r.http_status == 412) return Status::Ok();
                                 if (auto error = ParseS3Error(r.body); error.ok()) {
                                   return ClassifyS3Error(r.http_status, error->code,
                                                          error->message);
                                 }
                                 Status done = ParseCompleteMultipartUpload(r.body);
                                 return done.ok() ? done : UnavailableError(done.message());
                               }));
  return completed.http_status != 412;
}

StatusOr<std::string> S3ObjectStore::StoredSha256Hex(const std::string& key, int64_t size) {
  Sha256Stream stored;
  const auto part = static_cast<int64_t>(impl_->loc.part_bytes);
  for (int64_t from = 0; from < size; from += part) {
    const int64_t to = std::min(from + part, size) - 1;
    ASSIGN_OR_RETURN(aws::AwsHttpResponse got,
                     impl_->Send("GET", impl_->FullKey(key), "",
                                 {fmt::format("Range: bytes={}-{}", from, to)}, std::nullopt, {}));
    if (static_cast<int64_t>(got.body.size()) != to - from + 1) {
      return UnavailableError(fmt::format("S3 answered {} bytes for the range {}-{} of {}",
                                          got.body.size(), from, to, key));
    }
    stored.Update(got.body);
  }
  return stored.HexDigest();
}

Status S3ObjectStore::Delete(const std::string& key) {
  RETURN_IF_ERROR(ValidateDeletableKey(key));
  // S3 answers 204 whether or not the key existed: deleting twice is not an error.
  ASSIGN_OR_RETURN(aws::AwsHttpResponse response,
                   impl_->Send("DELETE", impl_->FullKey(key), "", {}, std::nullopt, {404}));
  (void)response;
  return Status::Ok();
}

StatusOr<std::string> S3ObjectStore::Get(const std::string& key) {
  RETURN_IF_ERROR(ValidateKey(key));
  ASSIGN_OR_RETURN(aws::AwsHttpResponse response,
                   impl_->Send("GET", impl_->FullKey(key), "", {}, std::nullopt, {}));
  return std::move(response.body);
}

StatusOr<ObjectInfo> S3ObjectStore::Head(const std::string& key) {
  RETURN_IF_ERROR(ValidateKey(key));
  ASSIGN_OR_RETURN(aws::AwsHttpResponse response,
                   impl_->Send("HEAD", impl_->FullKey(key), "", {}, std::nullopt, {}));
  if (!response.content_length) return InternalError("S3 HEAD without Content-Length");
  return ObjectInfo{key, *response.content_length};
}

StatusOr<ListPage> S3ObjectStore::List(const std::string& prefix,
                                       const std::optional<std::string>& token, int max_keys) {
  std::string full_prefix = impl_->loc.prefix.empty() ? prefix : impl_->loc.prefix + "/" + prefix;
  std::vector<std::pair<std::string, std::string>> params = {
      {"list-type", "2"}, {"max-keys", std::to_string(std::clamp(max_keys, 1, 1000))}};
  if (!full_prefix.empty()) params.emplace_back("prefix", full_prefix);
  if (token) params.emplace_back("continuation-token", *token);
  S3ListResult parsed;
  // An unparsable 200 is retried like any transient failure (AWS documents it can happen).
  ASSIGN_OR_RETURN(aws::AwsHttpResponse response,
                   impl_->Send("GET", "", aws::CanonicalQuery(params), {}, std::nullopt, {},
                               [&](const aws::AwsHttpResponse& r) -> Status {
                                 auto page = ParseListBucketResult(r.body);
                                 if (!page.ok()) return UnavailableError(page.status().message());
                                 parsed = *std::move(page);
                                 return Status::Ok();
                               }));
  ListPage page;
  size_t strip = impl_->loc.prefix.empty() ? 0 : impl_->loc.prefix.size() + 1;
  for (auto& entry : parsed.contents) {
    if (entry.key.compare(0, full_prefix.size(), full_prefix) != 0 || entry.key.size() < strip) {
      return InternalError(
          fmt::format("S3 listed '{}' outside prefix '{}'", entry.key, full_prefix));
    }
    page.objects.push_back({entry.key.substr(strip), entry.size});
  }
  page.next_token = std::move(parsed.next_continuation_token);
  return page;
}

}  // namespace coinlake::lake
