// `coinlake sim`: an HTTP server that answers like the CoinMarketCap Pro API (same paths,
// parameters, headers, status envelope and error bodies) over a simulated market.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "common/status.h"

namespace coinlake::cmc {

struct SimOptions {
  std::string host = "127.0.0.1";
  int port = 8502;      // 0 picks a free port (tests)
  uint64_t seed = 42;   // same seed, same market
  int coins = 5000;     // coins in the market
  std::string api_key;  // if set, only this key is accepted; otherwise any non-empty key
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
