// Every real CMC response in tests/fixtures/cmc, asked of the sim with the same endpoint and
// parameters: each key path of the real answer (arrays collapsed to []) must be in the sim's,
// unless tests/fixtures/sim_keyset_allow.tsv lists it with a reason.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "cmc/client.h"
#include "cmc/sim.h"
#include "tests/status_matchers.h"
#include "tests/test_support.h"

namespace coinlake::cmc {
namespace {

using Json = nlohmann::json;
using Params = std::map<std::string, std::string>;

// The request each fixture answered (tests/fixtures/cmc/SOURCES.md), and the plan it needs.
struct Request {
  std::string path;
  Params params;
  std::string plan = "enterprise";
};

const std::map<std::string, Request>& Requests() {
  static const std::map<std::string, Request> requests = {
      {"error_403_1006_v2_market-pairs_recorded_second-opinion_2026-09-24.json",
       {"/v2/cryptocurrency/market-pairs/latest", {{"id", "1"}}, "basic"}},
      {"global_metrics_quotes_latest_v1_SANDBOX_randomized_alyshawang_2023-09-20.json",
       {"/v1/global-metrics/quotes/latest", {}}},
      {"global_metrics_quotes_latest_v1_underwater-cmc_2026-09-29.json",
       {"/v1/global-metrics/quotes/latest", {}}},
      {"key_info_v1_consensus-cmc_2026-09-27.json", {"/v1/key/info", {}}},
      {"listings_latest_v1_limit2_raw_underwater-cmc_2026-09-29.json",
       {"/v1/cryptocurrency/listings/latest", {{"limit", "2"}}}},
      {"listings_latest_v1_top100_duedill_2025-02-08.json",
       {"/v1/cryptocurrency/listings/latest", {{"limit", "100"}}}},
      {"map_v1_symbol_BTC_PAXG_recorded_second-opinion_2026-09-24.json",
       {"/v1/cryptocurrency/map", {{"symbol", "BTC,PAXG"}}}},
      {"quotes_historical_v1_btc_daily_underwater-cmc_2026-09-29.json",
       {"/v1/cryptocurrency/quotes/historical", {{"id", "1"}, {"interval", "daily"}}}},
      {"quotes_latest_v1_by_symbol_BTC_ETH_consensus-cmc_2026-09-25.json",
       {"/v1/cryptocurrency/quotes/latest", {{"symbol", "BTC,ETH"}}}},
      {"quotes_latest_v2_by_symbol_BTC_cmc-rs_2022-06-16.json",
       {"/v2/cryptocurrency/quotes/latest", {{"symbol", "BTC"}}}},
  };
  return requests;
}

void KeyPaths(const Json& v, const std::string& prefix, std::set<std::string>& out) {
  if (v.is_object()) {
    for (const auto& [key, value] : v.items()) {
      std::string path = prefix.empty() ? key : prefix + "." + key;
      out.insert(path);
      KeyPaths(value, path, out);
    }
  } else if (v.is_array()) {
    for (const Json& item : v) KeyPaths(item, prefix + "[]", out);
  }
}

struct Allowed {
  std::string fixture_prefix;  // "*": every fixture
  std::string key_suffix;      // "*": every key
  std::string reason;
};

std::vector<Allowed> AllowList() {
  std::istringstream in(
      testing::ReadFile(std::string(COINLAKE_FIXTURES_DIR) + "/../sim_keyset_allow.tsv"));
  std::vector<Allowed> allowed;
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    size_t a = line.find('\t'), b = line.find('\t', a + 1);
    EXPECT_TRUE(a != std::string::npos && b != std::string::npos && b + 1 < line.size())
        << "allow-list line without fixture, key and reason: " << line;
    if (b == std::string::npos) continue;
    allowed.push_back({line.substr(0, a), line.substr(a + 1, b - a - 1), line.substr(b + 1)});
  }
  return allowed;
}

bool IsAllowed(const std::vector<Allowed>& allowed, const std::string& fixture,
               const std::string& key) {
  for (const Allowed& a : allowed) {
    if (a.fixture_prefix != "*" && !fixture.starts_with(a.fixture_prefix)) continue;
    if (a.key_suffix == "*" || key == a.key_suffix || key.ends_with("." + a.key_suffix)) {
      return true;
    }
  }
  return false;
}

TEST(SimKeysetTest, SimAnswersCarryEveryKeyOfTheRealResponses) {
  const std::vector<Allowed> allowed = AllowList();
  size_t fixtures = 0;
  for (const auto& entry : std::filesystem::directory_iterator(COINLAKE_FIXTURES_DIR)) {
    const std::string name = entry.path().filename().string();
    if (!name.ends_with(".json")) continue;
    ++fixtures;
    ASSERT_TRUE(Requests().contains(name)) << "fixture without its request here: " << name;
    const Request& request = Requests().at(name);
    Json real = Json::parse(testing::ReadFixture(name));
    if (real.contains("response")) real = real["response"]["body"];  // a recorder's envelope

    SimOptions options;
    options.port = 0;
    options.coins = 300;
    options.plan = request.plan;
    ASSERT_OK_AND_ASSIGN(auto sim, Simulator::Start(options));
    ClientOptions client_options;
    client_options.base_url = sim->base_url();
    client_options.api_key = "k";
    ASSERT_OK_AND_ASSIGN(auto client, CmcClient::Make(client_options));
    ASSERT_OK_AND_ASSIGN(HttpResponse response, client->Get(request.path, request.params));
    Json answer = Json::parse(response.body, nullptr, /*allow_exceptions=*/false);

    std::set<std::string> real_keys, sim_keys;
    KeyPaths(real, "", real_keys);
    if (!answer.is_discarded()) KeyPaths(answer, "", sim_keys);
    for (const std::string& key : real_keys) {
      if (sim_keys.contains(key) || IsAllowed(allowed, name, key)) continue;
      ADD_FAILURE() << name << ": the sim's answer to " << request.path << " lacks " << key
                    << " (add it, or list it in tests/fixtures/sim_keyset_allow.tsv with a "
                       "reason)";
    }
  }
  EXPECT_EQ(fixtures, Requests().size()) << "a request here names a fixture that is gone";
}

}  // namespace
}  // namespace coinlake::cmc
