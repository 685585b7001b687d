// Lake object keys read back from a listing (src/lake/keys.h, ValidateKey in object_store.h) and
// the key-time format. Contract: no crash; ParseRawKey is the exact inverse of RawBodyKey /
// RawMetaKey (a key it accepts is rebuilt byte for byte from what it parsed), and ParseKeyTime
// of FormatKeyTime; failures are INVALID_ARGUMENT.
#include "common/time_util.h"
#include "fuzz/fuzz_support.h"
#include "lake/keys.h"
#include "lake/object_store.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace coinlake;
  std::string_view key = fuzz::AsText(data, size);
  auto raw = lake::ParseRawKey(key);
  fuzz::RequireCode(raw.status(), "ParseRawKey", {StatusCode::kInvalidArgument});
  if (raw.ok()) {
    std::string rebuilt = raw->is_meta ? lake::RawMetaKey(raw->endpoint, raw->data_time)
                                       : lake::RawBodyKey(raw->endpoint, raw->data_time);
    fuzz::Require(rebuilt == key, "ParseRawKey accepted a key RawBodyKey would not write");
  }
  fuzz::RequireCode(lake::ValidateKey(std::string(key)), "ValidateKey",
                    {StatusCode::kInvalidArgument});
  auto time = ParseKeyTime(key);
  fuzz::RequireCode(time.status(), "ParseKeyTime", {StatusCode::kInvalidArgument});
  if (time.ok()) {
    fuzz::Require(ParseKeyTime(FormatKeyTime(*time)).value() == *time,
                  "FormatKeyTime does not round-trip");
  }
  return 0;
}
