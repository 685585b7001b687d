// Strict parsers for the S3 XML documents coinlake reads: ListBucketResult (ListObjectsV2),
// Error, and the answers that start and complete a multipart upload. Built on libexpat; a document
// that is not well-formed, has the wrong root, or lacks a required field is an error (S3 can return
// invalid XML with a 200, which callers retry).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace coinlake::lake {

struct S3ListResult {
  struct Entry {
    std::string key;
    int64_t size = 0;
  };
  std::vector<Entry> contents;
  bool is_truncated = false;
  std::optional<std::string> next_continuation_token;  // present iff is_truncated
};

struct S3Error {
  std::string code;  // "SlowDown", "AccessDenied", ...
  std::string message;
  std::string request_id;
};

// INTERNAL when the document is malformed or incomplete.
StatusOr<S3ListResult> ParseListBucketResult(std::string_view xml);
StatusOr<S3Error> ParseS3Error(std::string_view xml);
// InitiateMultipartUploadResult: the upload's id.
StatusOr<std::string> ParseInitiateMultipartUpload(std::string_view xml);
// CompleteMultipartUploadResult. S3 may answer 200 and still fail, with an Error document in
// the body: that is INTERNAL here (no such root), and the caller reads the Error.
Status ParseCompleteMultipartUpload(std::string_view xml);

}  // namespace coinlake::lake
