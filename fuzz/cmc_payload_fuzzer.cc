// Every CMC payload parser (src/cmc/parser.h) on the same bytes. Contract: no crash, no
// sanitizer report, and a failure is INVALID_ARGUMENT (bad input) or FAILED_PRECONDITION (a CMC
// error envelope), never another code.
#include "cmc/parser.h"
#include "fuzz/fuzz_support.h"

namespace coinlake::fuzz {
namespace {

constexpr std::initializer_list<StatusCode> kParserCodes = {StatusCode::kInvalidArgument,
                                                            StatusCode::kFailedPrecondition};

template <typename T>
void Check(const StatusOr<T>& result, std::string_view parser) {
  RequireCode(result.status(), parser, kParserCodes);
}

}  // namespace
}  // namespace coinlake::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace coinlake;
  fuzz::QuietLogs();
  std::string_view json = fuzz::AsText(data, size);
  fuzz::Check(cmc::ParseStatus(json), "ParseStatus");
  fuzz::Check(cmc::ParseListings(json), "ParseListings");
  fuzz::Check(cmc::ParseQuotes(json), "ParseQuotes");
  fuzz::Check(cmc::ParseQuotesHistorical(json), "ParseQuotesHistorical");
  fuzz::Check(cmc::ParseOhlcvHistorical(json), "ParseOhlcvHistorical");
  fuzz::Check(cmc::ParseGlobalMetricsHistorical(json), "ParseGlobalMetricsHistorical");
  fuzz::Check(cmc::ParseGlobalMetrics(json), "ParseGlobalMetrics");
  fuzz::Check(cmc::ParseKeyInfo(json), "ParseKeyInfo");
  fuzz::Check(cmc::ParseMap(json), "ParseMap");
  auto kind = cmc::DetectPayloadKind(json);
  fuzz::Check(kind, "DetectPayloadKind");
  if (kind.ok()) fuzz::Require(!cmc::PayloadKindName(*kind).empty(), "PayloadKindName is empty");
  return 0;
}
