// The parts of AWS Signature V4 that libcurl 7.88.1 leaves to the caller (docs/lake.md, "S3").
//
// curl's CURLOPT_AWS_SIGV4 signs the path and the query string exactly as given, so the request
// must already be in canonical form: keys percent-encoded the way S3 does it, and the query
// sorted and strictly encoded. These functions are pure so that tests check them byte for byte.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace coinlake::aws {

// AWS UriEncode: every byte except A-Z a-z 0-9 - _ . ~ becomes %XX (uppercase hex). With
// `keep_slash`, '/' stays as is (object key paths); otherwise it is encoded too (query values).
std::string AwsUriEncode(std::string_view text, bool keep_slash);

// A canonical query string: parameters sorted by encoded name (then value), names and values
// strictly encoded, every parameter written as "name=value" even when the value is empty.
std::string CanonicalQuery(std::vector<std::pair<std::string, std::string>> params);

// The hex SHA-256 of an empty payload, sent as x-amz-content-sha256 on GET, HEAD and LIST.
inline constexpr std::string_view kEmptyPayloadSha256 =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

}  // namespace coinlake::aws
