// The faults `coinlake sim` injects (the list is in sim.h): their JSON form and the hostile
// bodies that need their own streaming.
#pragma once

#include <httplib.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace coinlake::cmc::sim {

struct Fault {
  std::string kind;
  std::string path;  // empty: any endpoint
  int count = 1;
  int http = 500;
  // The status's error code; absent: the one CMC sends with `http` (DefaultErrorCode).
  std::optional<int64_t> error_code;
  std::optional<int> retry_after;
  int delay_ms = 0;
  int64_t bytes = int64_t{1} << 30;  // huge, gzip_bomb: decoded body size
  int depth = 100'000;               // deep_nesting
  int chunk_bytes = 64;              // drip
  int interval_ms = 250;             // drip
};

// Parses a JSON array of faults (POST /__sim/faults, `sim --faults`).
StatusOr<std::vector<Fault>> ParseFaults(std::string_view text);

// True for the faults ServeFlood answers.
bool IsFlood(const Fault& fault);

// Answers a flood fault: "huge" (a Content-Length of `bytes` whitespace), "endless" (chunked
// whitespace until the client hangs up) or "gzip_bomb".
void ServeFlood(const Fault& fault, httplib::Response& res);

}  // namespace coinlake::cmc::sim
