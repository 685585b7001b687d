// The CoinMarketCap envelope and error answers of `coinlake sim`, and its parameter readers.
#pragma once

#include <httplib.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/time_util.h"

namespace coinlake::cmc::sim {

using Json = nlohmann::ordered_json;

// Every JSON answer of the sim carries this content type, as CMC's do.
inline constexpr const char* kJsonType = "application/json; charset=utf-8";

// CMC's `status` object: error_message is null when error_code is 0.
Json StatusEnvelope(TimePoint now, int64_t error_code, std::string_view message, int64_t credits,
                    int elapsed_ms);

// Answers `http_status` with a status-only body carrying `error_code` and `message`.
void SendError(httplib::Response& res, int http_status, int64_t error_code,
               std::string_view message);

// CMC's message for an error code: 1001..1011, 400, 500, 502..504; others get a generic one.
std::string_view ErrorMessage(int64_t code);

// The error code CMC sends with an HTTP status when none is given: 401 -> 1001, 402 -> 1003,
// 403 -> 1006, 429 -> 1008, other statuses -> the status itself (400, 404, 500, 503 ...).
int64_t DefaultErrorCode(int http_status);

// An integer parameter within [lo, hi]; answers 400 and returns false otherwise. Absent: true
// and `out` unchanged.
bool IntParam(const httplib::Request& req, const char* name, int64_t lo, int64_t hi, int64_t* out,
              httplib::Response& res);

// CMC's paging: `start` (1-based) and `limit` (1..max_limit); each left unchanged when absent
// (the caller's default). Answers 400 and returns false otherwise.
bool PageParams(const httplib::Request& req, int64_t max_limit, int64_t* start, int64_t* limit,
                httplib::Response& res);

// A finite number parameter, >= 0 unless `allow_negative`; answers 400 and returns false
// otherwise. Absent: true, `out` unchanged.
bool NumberParam(const httplib::Request& req, const char* name, std::optional<double>* out,
                 httplib::Response& res, bool allow_negative = false);

// A parameter that must be one of `allowed` (default `fallback` when absent); answers 400 and
// returns false otherwise.
bool ChoiceParam(const httplib::Request& req, const char* name,
                 const std::vector<std::string_view>& allowed, std::string_view fallback,
                 std::string* out, httplib::Response& res);

}  // namespace coinlake::cmc::sim
