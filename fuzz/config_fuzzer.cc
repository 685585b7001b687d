// Configuration values coinlake parses: the lake URL (s3://bucket/prefix?region=&endpoint=
// &path_style=), the database URL (password redaction for messages), ISO-8601 times (--from,
// --to) and log levels. Contract: no crash; a bad value is INVALID_ARGUMENT; an accepted S3 URL
// is valid (bucket name rules, prefix a valid key, endpoint http(s)); a redacted database URL
// no longer contains the password libpq reads from it.
#include <libpq-fe.h>

#include "common/log.h"
#include "common/time_util.h"
#include "fuzz/fuzz_support.h"
#include "lake/object_store.h"
#include "lake/s3_object_store.h"
#include "warehouse/db.h"

namespace coinlake::fuzz {
namespace {

void LakeUrl(const std::string& url) {
  auto loc = lake::ParseS3Url(url);
  RequireCode(loc.status(), "ParseS3Url", {StatusCode::kInvalidArgument});
  if (!loc.ok()) return;
  Require(loc->bucket.size() >= 3 && loc->bucket.size() <= 63 &&
              loc->bucket.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789.-") ==
                  std::string::npos,
          "ParseS3Url accepted a bad bucket name");
  Require(loc->prefix.empty() || lake::ValidateKey(loc->prefix).ok(),
          "ParseS3Url accepted a bad prefix");
  Require(loc->endpoint.empty() || loc->endpoint.starts_with("http://") ||
              loc->endpoint.starts_with("https://"),
          "ParseS3Url accepted a non-http endpoint");
  if (loc->region.empty()) loc->region = "us-east-1";
  Require(!lake::S3RequestUrl(*loc, "raw/cmc/x", "").empty(), "S3RequestUrl is empty");
}

size_t Count(std::string_view text, std::string_view part) {
  size_t n = 0;
  for (size_t pos = text.find(part); pos != std::string_view::npos;
       pos = text.find(part, pos + 1)) {
    ++n;
  }
  return n;
}

void DatabaseUrl(const std::string& url) {
  std::string redacted = warehouse::RedactDatabaseUrl(url);
  PQconninfoOption* options = PQconninfoParse(url.c_str(), nullptr);
  if (options == nullptr) return;
  std::string password;
  for (PQconninfoOption* o = options; o->keyword != nullptr; ++o) {
    if (std::string_view(o->keyword) == "password" && o->val) password = o->val;
  }
  PQconninfoFree(options);
  // Only a password written out once, literally and long enough not to occur by chance in the
  // rest of the URL, can be checked by search; and one that holds the redaction mark "***" could
  // be made by the redaction itself ("password=aa***" from "password=aaX" further on: a 240 s run
  // found that), so it is not searched for.
  if (password.size() >= 4 && Count(url, password) == 1 &&
      password.find("***") == std::string::npos) {
    Require(redacted.find(password) == std::string::npos,
            "RedactDatabaseUrl left the password in: " + redacted);
  }
}

}  // namespace
}  // namespace coinlake::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace coinlake;
  std::string text(fuzz::AsText(data, size));
  fuzz::LakeUrl(text);
  fuzz::DatabaseUrl(text);
  auto time = ParseIso8601(text);
  fuzz::RequireCode(time.status(), "ParseIso8601", {StatusCode::kInvalidArgument});
  if (time.ok()) {
    fuzz::Require(ParseIso8601(FormatIso8601(*time)).value() == *time,
                  "FormatIso8601 does not round-trip");
  }
  log::Level level;
  (void)log::ParseLevel(text, &level);
  return 0;
}
