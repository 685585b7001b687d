// The S3 backend of ObjectStore (object_store.h), on libcurl's SigV4 signer. Works with AWS
// (virtual-hosted or path-style, any region) and S3-compatible endpoints.
//
// URL: s3://bucket[/prefix][?region=R&endpoint=http://host:port&path_style=true&timeout=60]
// - region: default from AWS_REGION / AWS_DEFAULT_REGION / the profile's config, else us-east-1.
// - endpoint: default https://s3.<region>.amazonaws.com; path_style defaults to true when an
//   endpoint is given (local fakes), false otherwise (bucket.s3.<region>.amazonaws.com).
// - timeout: seconds one request may take in all (default 60; connecting takes at most 5 of
//   them). With the retries, a hanging lake costs a cycle at most about 5 timeouts.
// Put is create-only: PUT with If-None-Match: *, x-amz-content-sha256 (the real payload hash)
// and x-amz-checksum-sha256, so S3 checks the bytes. A 412 means the key exists: the stored
// bytes are fetched and compared (equal: OK; different: DATA_LOSS, nothing overwritten).
// PutFile of a curated/ file larger than one part (16 MiB) is a multipart upload, a part in memory
// at a time, each part with its own x-amz-checksum-sha256, completed with If-None-Match: * (412:
// the stored bytes are compared by ranged GETs, a part at a time); a failed upload is aborted (and
// the bucket's lifecycle rule aborts what a killed process left).
// Transient failures (5xx, SlowDown, 409, RequestTimeout, resets, timeouts, an unparsable 200
// listing) are retried with backoff; refused credentials are PERMISSION_DENIED at once;
// ExpiredToken refreshes the credentials once; RequestTimeTooSkewed says to fix the clock.
#pragma once

#include <chrono>
#include <istream>
#include <memory>
#include <string>

#include "aws/credentials.h"
#include "common/backoff.h"
#include "lake/object_store.h"

namespace coinlake::lake {

struct S3Location {
  std::string bucket;
  std::string prefix;    // without leading or trailing '/'; may be empty
  std::string region;    // empty: resolve from the AWS environment
  std::string endpoint;  // scheme://host[:port], no trailing '/'; empty: AWS
  bool path_style = false;
  std::chrono::milliseconds request_timeout{60'000};
  // PutFile sends a larger file in parts of this size (S3's least is 5 MiB but for the last).
  size_t part_bytes = 16 << 20;
};

// Parses an s3:// URL (above). INVALID_ARGUMENT says what is wrong.
StatusOr<S3Location> ParseS3Url(const std::string& url);

// The request URL for an object key (or the bucket root when `key` is empty) and a canonical
// query string ("" for none). Pure, for tests.
std::string S3RequestUrl(const S3Location& location, const std::string& key,
                         const std::string& canonical_query);

// Maps an S3 answer (HTTP status and the error document's Code) to a Status.
Status ClassifyS3Error(int http_status, const std::string& code, const std::string& message);

class S3ObjectStore : public ObjectStore {
 public:
  // `location.region` must be set. When `stop` is given and fires, retries end and a request in
  // flight is abandoned (UNAVAILABLE): the caller's spool keeps what was not stored.
  static StatusOr<std::unique_ptr<S3ObjectStore>> Open(
      S3Location location, std::shared_ptr<aws::CredentialProvider> credentials,
      BackoffPolicy retry = BackoffPolicy{}, StopSignal* stop = nullptr);
  ~S3ObjectStore() override;

  Status Put(const std::string& key, std::string_view data) override;
  Status PutFile(const std::string& key, const std::string& path) override;
  StatusOr<std::string> Get(const std::string& key) override;
  StatusOr<ObjectInfo> Head(const std::string& key) override;
  Status Delete(const std::string& key) override;
  StatusOr<ListPage> List(const std::string& prefix, const std::optional<std::string>& token,
                          int max_keys) override;
  std::string url() const override;

 private:
  struct Impl;
  explicit S3ObjectStore(std::unique_ptr<Impl> impl);
  // Sends `in` as the parts of the started upload, then completes it: true when stored, false
  // when the key existed (412). `hex_sha256` receives the file's SHA-256.
  StatusOr<bool> UploadParts(const std::string& full_key, const std::string& upload_query,
                             std::istream& in, std::string& hex_sha256);
  // The hex SHA-256 of a stored object, read by ranged GETs of a part each.
  StatusOr<std::string> StoredSha256Hex(const std::string& key, int64_t size);
  std::unique_ptr<Impl> impl_;
};

}  // namespace coinlake::lake
