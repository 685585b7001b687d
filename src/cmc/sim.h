// `coinlake sim`: an HTTP server that answers like the CoinMarketCap Pro API (same paths,
// parameters, headers, status envelope and error bodies) over a simulated market.
//
// Endpoints: /v1/cryptocurrency/listings/latest, /v1 and /v2 /cryptocurrency/quotes/latest (id,
// slug or symbol), /v1/global-metrics/quotes/latest, /v1/key/info, /v1/cryptocurrency/map, each
// with convert/convert_id (several currencies). Credits are charged like CMC (listings 1 per 200
// coins, quotes 1 per 100, global 1, key info and map 0; +1 per extra currency) and the plan
// (sim_plans.h) is enforced: minute limit -> 429/1008, daily -> 429/1009, monthly -> 429/1010,
// an endpoint outside the plan -> 403/1006. Answers are gzip'd for clients that accept it.
// The historical endpoints (quotes, OHLCV, global metrics, listings) are sim_historical.h's;
// coin info, categories, the fiat and exchange maps, exchange info and price conversion are
// sim_reference.h's.
//
// Control API (no key needed; tests and chaos runs):
//   POST /__sim/faults   JSON array of faults, each applied to the next matching request(s):
//     {"fault": "status", "http": 503, "retry_after": 2}   an error answer; its error_code is
//                                                   CMC's for the status unless given
//                                                   (401 -> 1001, 402 -> 1003, 403 -> 1006,
//                                                   429 -> 1008, others -> the status)
//     {"fault": "error_200", "error_code": 1006}   HTTP 200 whose status carries an error code
//     {"fault": "slow", "delay_ms": 3000}           the real answer, late
//     {"fault": "reset"}                            headers, then the connection drops
//     {"fault": "truncated"}                        Content-Length promises more than is sent
//     {"fault": "malformed"}                        HTTP 200, body cut in half (invalid JSON)
//     {"fault": "new_field"}                        the real answer plus unknown fields
//     {"fault": "huge", "bytes": 1073741824}        Content-Length `bytes` of whitespace
//     {"fault": "endless"}                          chunked whitespace until the client hangs up
//     {"fault": "gzip_bomb", "bytes": 1073741824}   Content-Encoding gzip, ~1 MB on the wire,
//                                                   inflating to `bytes`
//     {"fault": "deep_nesting", "depth": 100000}    a valid status, then "data" nested `depth`
//                                                   arrays deep
//     {"fault": "drip", "chunk_bytes": 64, "interval_ms": 250}   the real answer, dripped
//   optional in each: "path" (only requests to that path), "count" (default 1).
//   DELETE /__sim/faults  drops pending faults.
//   GET /__sim/served     [{"endpoint", "timestamp", "sha256"}] of every HTTP 200 answered.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "common/status.h"
#include "common/time_util.h"

namespace coinlake::cmc {

struct SimOptions {
  std::string host = "127.0.0.1";
  int port = 8502;      // 0 picks a free port (tests)
  uint64_t seed = 42;   // same seed, same market
  int coins = 5000;     // coins in the market
  std::string api_key;  // if set, only this key is accepted; otherwise any non-empty key
  // The CMC plan enforced and reported by /v1/key/info (sim_plans.h): basic, hobbyist, startup,
  // standard, professional or enterprise.
  std::string plan = "enterprise";
  // Overrides of the plan's limits: -1 keeps the plan's figure, 0 means unlimited.
  int64_t calls_per_minute = -1;
  int64_t credits_per_day = -1;
  int64_t credits_per_month = -1;
  // Faults pending from the start, in the POST /__sim/faults JSON format (`sim --faults`).
  std::string faults;
  // The clock of the market, the plan's limits and the data answers' status; the system clock
  // when empty. Tests move it to poll minutes apart without waiting.
  Clock clock;
};

class Simulator {
 public:
  static StatusOr<std::unique_ptr<Simulator>> Start(const SimOptions& options);
  ~Simulator();

  int port() const;
  // "http://127.0.0.1:<port>": what COINLAKE_CMC_URL should be.
  std::string base_url() const;
  void Stop();

 private:
  struct Impl;
  explicit Simulator(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace coinlake::cmc
