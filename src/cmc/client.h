// HTTP client for the CoinMarketCap Pro API (libcurl): key header, gzip transfer, timeouts,
// connection reuse. It returns what the server said; deciding what an answer means (retry,
// stop, quarantine) is the caller's job (see classify.h).
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>

#include "common/status.h"
#include "common/time_util.h"

namespace coinlake::cmc {

struct ClientOptions {
  std::string base_url = "https://pro-api.coinmarketcap.com";
  std::string api_key;  // sent as X-CMC_PRO_API_KEY; never logged
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds total_timeout{60'000};
  // A larger answer (decoded: gzip counts inflated) is an error, UNAVAILABLE; a Content-Length
  // over it is refused before the body is read. Each request reserves this much address space
  // for the body, of which only what arrives becomes memory; peak memory for a cut body is
  // about 1x this.
  size_t max_body_bytes = 64 << 20;
};

struct HttpResponse {
  int http_status = 0;
  std::string body;                        // decoded (gzip removed): the bytes the lake keeps
  std::string request;                     // path and query, without the key
  std::optional<int> retry_after_seconds;  // from a Retry-After header, if any
  TimePoint started{};
  TimePoint finished{};
};

class CmcClient {
 public:
  static StatusOr<std::unique_ptr<CmcClient>> Make(const ClientOptions& options);
  ~CmcClient();

  // GET base_url + path with the query parameters. Transport failures (refused, reset,
  // timeout, oversized body) are UNAVAILABLE; any HTTP answer, 4xx and 5xx included, is a
  // response. Not thread-safe: one client per thread.
  StatusOr<HttpResponse> Get(const std::string& path,
                             const std::map<std::string, std::string>& params);

 private:
  struct Impl;
  explicit CmcClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace coinlake::cmc
