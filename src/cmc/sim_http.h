// HTTP pieces shared by the simulator's endpoints (sim.cc, sim_historical.cc): CMC's status
// envelope, its error bodies and its integer parameters.
#pragma once

#include <httplib.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string_view>

#include "common/time_util.h"

namespace coinlake::cmc {

using SimJson = nlohmann::ordered_json;

// The "status" object of every CMC answer.
SimJson StatusEnvelope(TimePoint now, int64_t error_code, std::string_view message, int64_t credits,
                       int elapsed_ms);

// Answers `http_status` with a status envelope carrying `error_code` and `message`.
void SendError(httplib::Response& res, int http_status, int64_t error_code,
               std::string_view message);

// Reads integer parameter `name` into `out` if present; CMC accepts integers only in a range
// and answers 400 otherwise (then this answers it and returns false).
bool IntParam(const httplib::Request& req, const char* name, int64_t lo, int64_t hi, int64_t* out,
              httplib::Response& res);

}  // namespace coinlake::cmc
