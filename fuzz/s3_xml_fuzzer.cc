// S3's XML answers (src/lake/s3_xml.h): a ListObjectsV2 page and an error document, as any
// server or proxy on the path could send them. Contract: no crash; a failure is INTERNAL (which
// callers retry); a listing that parses is consistent (a truncated page has a non-empty token,
// sizes are never negative).
#include "fuzz/fuzz_support.h"
#include "lake/s3_xml.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace coinlake;
  std::string_view xml = fuzz::AsText(data, size);
  auto page = lake::ParseListBucketResult(xml);
  fuzz::RequireCode(page.status(), "ParseListBucketResult", {StatusCode::kInternal});
  if (page.ok()) {
    fuzz::Require(page->is_truncated == (page->next_continuation_token.has_value() &&
                                         !page->next_continuation_token->empty()),
                  "IsTruncated and the continuation token disagree");
    for (const auto& entry : page->contents) {
      fuzz::Require(entry.size >= 0, "a listing entry has a negative size");
    }
  }
  auto error = lake::ParseS3Error(xml);
  fuzz::RequireCode(error.status(), "ParseS3Error", {StatusCode::kInternal});
  if (error.ok()) fuzz::Require(!error->code.empty(), "an S3 error without a code");
  return 0;
}
