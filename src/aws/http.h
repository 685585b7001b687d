// One HTTP exchange with an AWS endpoint through libcurl, optionally SigV4-signed by curl
// (CURLOPT_AWS_SIGV4 "aws:amz:<region>:<service>"). The caller supplies the request in the
// canonical form curl 7.88.1 needs (s3_signing.h). Used by the S3 store and the credential chain.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "common/stop_signal.h"

namespace coinlake::aws {

struct AwsSigning {
  std::string region;
  std::string service = "s3";
  std::string access_key_id;
  std::string secret_access_key;
  // Temporary credentials' token (container, IMDS, assumed roles); empty for long-term keys.
  // PerformAwsHttp sends it as x-amz-security-token, which the signature covers.
  std::string session_token;
};

struct AwsHttpRequest {
  std::string method = "GET";            // GET, HEAD, PUT, POST, DELETE
  std::string url;                       // already percent-encoded, query already canonical
  std::vector<std::string> headers;      // "Name: value"
  std::optional<std::string_view> body;  // PUT or POST body (sent with an exact Content-Length)
  std::optional<AwsSigning> signing;
  std::chrono::milliseconds connect_timeout{5'000};
  std::chrono::milliseconds total_timeout{60'000};
  bool no_proxy = false;  // metadata endpoints are never reached through a proxy
  // When set and stopped, the transfer is abandoned within about a second (UNAVAILABLE), so a
  // shutdown does not wait out a hanging endpoint's timeout.
  StopSignal* stop = nullptr;
};

struct AwsHttpResponse {
  int http_status = 0;
  std::string body;
  std::optional<int64_t> content_length;
  std::string request_id;  // x-amz-request-id, for logs
  std::string etag;        // ETag, quotes included (S3's UploadPart answers with the part's)
};

// Transport failures (refused, reset, timeout, DNS) are UNAVAILABLE; any HTTP answer is a
// response.
StatusOr<AwsHttpResponse> PerformAwsHttp(const AwsHttpRequest& request);

}  // namespace coinlake::aws
