// `coinlake inspect`'s path (cmc::WriteStoredPayloadRows): gzip or plain bytes, payload kind
// detection, recorder-envelope unwrapping, every parser, and the JSON rows written out.
// Contract: no crash; a failure is INVALID_ARGUMENT and writes nothing; on success every line
// written is a JSON object with a "kind".
#include <nlohmann/json.hpp>
#include <sstream>

#include "cmc/inspect.h"
#include "fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace coinlake;
  fuzz::QuietLogs();
  std::ostringstream out;
  Status status = cmc::WriteStoredPayloadRows(fuzz::AsText(data, size), out);
  fuzz::RequireCode(status, "WriteStoredPayloadRows", {StatusCode::kInvalidArgument});
  if (!status.ok()) {
    fuzz::Require(out.str().empty(), "a failed inspect wrote rows");
    return 0;
  }
  std::istringstream lines(out.str());
  std::string line;
  while (std::getline(lines, line)) {
    auto row = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    fuzz::Require(row.is_object() && row.contains("kind"), "inspect wrote a line that is no row");
  }
  return 0;
}
