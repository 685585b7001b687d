// The fixture of the simulator's HTTP tests: a sim on a free port whose clock the test moves,
// and coinlake's CMC client pointed at it.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "cmc/client.h"
#include "cmc/sim.h"
#include "tests/status_matchers.h"

namespace coinlake::cmc::sim {

class SimHttpTest : public ::testing::Test {
 protected:
  // Starts the sim (again) with `options`; the port and the clock are the fixture's.
  void StartSim(SimOptions options) {
    client_.reset();  // its keep-alive connection would hold the old sim's Stop()
    sim_.reset();
    options.port = 0;
    options.clock = [this] { return now_.load(); };
    ASSERT_OK_AND_ASSIGN(sim_, Simulator::Start(options));
    ClientOptions client;
    client.base_url = sim_->base_url();
    client.api_key = "k";
    ASSERT_OK_AND_ASSIGN(client_, CmcClient::Make(client));
  }

  // GET `path`; the parsed body, after checking the HTTP status.
  nlohmann::json Get(const std::string& path, const std::map<std::string, std::string>& params,
                     int http = 200) {
    auto response = client_->Get(path, params);
    if (!response.ok()) {
      ADD_FAILURE() << response.status().ToString();
      return nlohmann::json();
    }
    EXPECT_EQ(response->http_status, http) << path << ": " << response->body;
    return nlohmann::json::parse(response->body);
  }

  std::atomic<TimePoint> now_{*ParseIso8601("2026-11-27T21:50:10Z")};
  std::unique_ptr<Simulator> sim_;
  std::unique_ptr<CmcClient> client_;
};

}  // namespace coinlake::cmc::sim
