// Every fault class the simulator injects, end to end through the real client, the parser and
// Classify; plus the plan the sim enforces, its endpoints, and the key never leaking.
#include <gtest/gtest.h>
#include <httplib.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "cmc/classify.h"
#include "cmc/client.h"
#include "cmc/parser.h"
#include "cmc/sim.h"
#include "common/log.h"

namespace coinlake::cmc {
namespace {

constexpr char kKey[] = "sim-secret-key-7f3a9c";
constexpr char kListings[] = "/v1/cryptocurrency/listings/latest";

class SimFaultTest : public ::testing::Test {
 protected:
  void SetUp() override { Start(SimOptions{}); }

  void Start(SimOptions options) {
    options.port = 0;
    options.coins = 400;
    options.api_key = kKey;
    auto sim = Simulator::Start(options);
    ASSERT_TRUE(sim.ok()) << sim.status().ToString();
    sim_ = std::move(sim).value();
    ClientOptions client;
    client.base_url = sim_->base_url();
    client.api_key = kKey;
    client.total_timeout = std::chrono::milliseconds(1'500);
    client_ = std::move(CmcClient::Make(client)).value();
  }

  void Inject(const std::string& script) {
    httplib::Client control("127.0.0.1", sim_->port());
    auto r = control.Post("/__sim/faults", script, "application/json");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << r->body;
  }

  // One call, classified as fetch.cc does it.
  Decision Call(const std::string& path = kListings,
                const std::map<std::string, std::string>& params = {{"limit", "10"}}) {
    Answer answer;
    auto r = client_->Get(path, params);
    if (r.ok()) {
      last_ = *r;
      answer.http_status = r->http_status;
      answer.retry_after_seconds = r->retry_after_seconds;
      if (auto s = ParseStatus(r->body); s.ok()) {
        answer.error_code = s->error_code;
        answer.error_message = s->error_message;
      }
    } else {
      answer.transport = r.status();
    }
    return Classify(answer, 0, SystemNow(), BackoffPolicy{}, rng_);
  }

  std::unique_ptr<Simulator> sim_;
  std::unique_ptr<CmcClient> client_;
  HttpResponse last_;
  std::mt19937_64 rng_{7};
};

TEST_F(SimFaultTest, RateLimitWithAndWithoutRetryAfter) {
  Inject(R"([{"fault":"status","http":429,"error_code":1008,"retry_after":3},
             {"fault":"status","http":429,"error_code":1008}])");
  Decision with = Call();
  EXPECT_EQ(with.action, Action::kRetry);
  EXPECT_EQ(with.delay, std::chrono::seconds(3));
  Decision without = Call();
  EXPECT_EQ(without.action, Action::kRetry);
  EXPECT_GT(without.delay, std::chrono::milliseconds(0));
  EXPECT_LE(without.delay, std::chrono::milliseconds(62'000));
  EXPECT_EQ(Call().action, Action::kOk);  // faults are used up
}

TEST_F(SimFaultTest, ServerErrorsAreRetried) {
  Inject(R"([{"fault":"status","http":500},{"fault":"status","http":502},
             {"fault":"status","http":503}])");
  for (int status : {500, 502, 503}) {
    Decision d = Call();
    EXPECT_EQ(d.action, Action::kRetry) << status;
    EXPECT_EQ(last_.http_status, status);
  }
}

TEST_F(SimFaultTest, SlowAnswerTimesOutAndIsRetried) {
  Inject(R"([{"fault":"slow","delay_ms":2500}])");
  Decision d = Call();
  EXPECT_EQ(d.action, Action::kRetry);
  EXPECT_NE(d.reason.find("imeout"), std::string::npos) << d.reason;
}

TEST_F(SimFaultTest, AnAnswerTheClientGaveUpOnIsBusyUntilItIsRecordedAsServed) {
  Inject(R"([{"fault":"slow","delay_ms":2500}])");
  EXPECT_EQ(Call().action, Action::kRetry);  // the client's 1.5 s deadline: the sim still sleeps
  httplib::Client control("127.0.0.1", sim_->port());
  auto busy = [&] { return nlohmann::json::parse(control.Get("/__sim/busy")->body); };
  auto served = [&] { return nlohmann::json::parse(control.Get("/__sim/served")->body).size(); };
  EXPECT_EQ(busy()["in_progress"], 1);
  EXPECT_EQ(served(), 0u);
  for (int i = 0; i < 50 && busy()["in_progress"] != 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(busy()["in_progress"], 0);
  EXPECT_EQ(served(), 1u);  // recorded although nobody received it
}

TEST_F(SimFaultTest, ResetAndTruncatedTransfersAreRetried) {
  Inject(R"([{"fault":"reset"},{"fault":"truncated"}])");
  EXPECT_EQ(Call().action, Action::kRetry);
  EXPECT_EQ(Call().action, Action::kRetry);
}

TEST_F(SimFaultTest, MalformedBodyOnHttp200IsRetriedAndNotRecordedAsServed) {
  Inject(R"([{"fault":"malformed"}])");
  Decision d = Call();
  EXPECT_EQ(last_.http_status, 200);
  EXPECT_EQ(d.action, Action::kRetry);
  EXPECT_FALSE(ParseListings(last_.body).ok());
  httplib::Client control("127.0.0.1", sim_->port());
  auto served = control.Get("/__sim/served");
  ASSERT_TRUE(served);
  EXPECT_EQ(nlohmann::json::parse(served->body).size(), 0u);
}

TEST_F(SimFaultTest, ErrorCodeOnHttp200StopsTheEndpoint) {
  Inject(R"([{"fault":"error_200","error_code":1006}])");
  Decision d = Call();
  EXPECT_EQ(last_.http_status, 200);
  EXPECT_EQ(d.action, Action::kStopEndpoint);
  EXPECT_NE(d.reason.find("1006"), std::string::npos);
}

TEST_F(SimFaultTest, NewFieldsAreIgnoredAndNoticed) {
  Inject(R"([{"fault":"new_field"}])");
  EXPECT_EQ(Call().action, Action::kOk);
  auto payload = ParseListings(last_.body);
  ASSERT_TRUE(payload.ok()) << payload.status().ToString();
  EXPECT_EQ(payload->rows.size(), 10u);
  auto noticed = NoticedUnknownFields();
  EXPECT_NE(std::find(noticed.begin(), noticed.end(), "envelope.sim_new_envelope_field"),
            noticed.end());
}

TEST_F(SimFaultTest, FaultsCanTargetOnePath) {
  Inject(R"([{"fault":"status","http":503,"path":"/v1/global-metrics/quotes/latest"}])");
  EXPECT_EQ(Call().action, Action::kOk);
  EXPECT_EQ(Call("/v1/global-metrics/quotes/latest", {}).action, Action::kRetry);
}

TEST_F(SimFaultTest, ServedLogHasEvery200WithItsSha) {
  ASSERT_EQ(Call().action, Action::kOk);
  ASSERT_EQ(Call("/v1/key/info", {}).action, Action::kOk);
  httplib::Client control("127.0.0.1", sim_->port());
  auto served = nlohmann::json::parse(control.Get("/__sim/served")->body);
  ASSERT_EQ(served.size(), 2u);
  EXPECT_EQ(served[0]["endpoint"], kListings);
  EXPECT_EQ(served[1]["endpoint"], "/v1/key/info");
  EXPECT_EQ(served[1]["sha256"].get<std::string>().size(), 64u);
}

TEST_F(SimFaultTest, EveryEndpointParses) {
  ASSERT_EQ(Call("/v2/cryptocurrency/quotes/latest", {{"id", "1,1027"}}).action, Action::kOk);
  auto by_id = ParseQuotes(last_.body);
  ASSERT_TRUE(by_id.ok()) << by_id.status().ToString();
  EXPECT_EQ(by_id->rows.size(), 2u);
  EXPECT_EQ(nlohmann::json::parse(last_.body)["data"]["1027"]["slug"], "ethereum");
  ASSERT_EQ(Call("/v2/cryptocurrency/quotes/latest", {{"slug", "bitcoin"}}).action, Action::kOk);
  EXPECT_TRUE(nlohmann::json::parse(last_.body)["data"].contains("1"));
  ASSERT_EQ(Call("/v2/cryptocurrency/quotes/latest", {{"symbol", "BTC"}}).action, Action::kOk);
  EXPECT_TRUE(nlohmann::json::parse(last_.body)["data"]["BTC"].is_array());
  EXPECT_EQ(ParseQuotes(last_.body)->rows.size(), 1u);

  ASSERT_EQ(Call("/v1/global-metrics/quotes/latest", {}).action, Action::kOk);
  auto global = ParseGlobalMetrics(last_.body);
  ASSERT_TRUE(global.ok()) << global.status().ToString();
  EXPECT_EQ(global->status.credit_count, 1);
  EXPECT_GT(*global->rows.at(0).btc_dominance, 0);

  ASSERT_EQ(Call("/v1/key/info", {}).action, Action::kOk);
  auto info = ParseKeyInfo(last_.body);
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->status.credit_count, 0);

  ASSERT_EQ(Call("/v1/cryptocurrency/map", {{"limit", "50"}}).action, Action::kOk);
  auto map = ParseMap(last_.body);
  ASSERT_TRUE(map.ok()) << map.status().ToString();
  EXPECT_EQ(map->rows.size(), 50u);
  EXPECT_EQ(map->status.credit_count, 0);
  EXPECT_EQ(map->rows[0].cmc_id, 1);  // sorted by id
}

TEST_F(SimFaultTest, CreditsAreChargedLikeCmc) {
  ASSERT_EQ(Call(kListings, {{"limit", "400"}}).action, Action::kOk);
  EXPECT_EQ(ParseStatus(last_.body)->credit_count, 2);  // 1 per 200 coins
  ASSERT_EQ(Call("/v2/cryptocurrency/quotes/latest", {{"id", "1,1027,825"}}).action, Action::kOk);
  EXPECT_EQ(ParseStatus(last_.body)->credit_count, 1);  // 1 per 100 coins
}

TEST_F(SimFaultTest, PlanIsEnforced) {
  SimOptions minute;
  minute.calls_per_minute = 2;
  Start(minute);
  // Two calls fit in a minute unless the wall clock crosses a minute boundary between them.
  Call();
  Call();
  Decision d = Call();
  if (last_.http_status == 429) {
    EXPECT_EQ(d.action, Action::kRetry);
    EXPECT_EQ(ParseStatus(last_.body)->error_code, 1008);
  }

  SimOptions monthly;
  monthly.credits_per_month = 3;
  Start(monthly);
  EXPECT_EQ(Call(kListings, {{"limit", "400"}}).action, Action::kOk);  // 2 credits
  Decision over = Call(kListings, {{"limit", "400"}});
  EXPECT_EQ(last_.http_status, 429);
  EXPECT_EQ(over.action, Action::kStopUntil);
  EXPECT_EQ(over.until, NextUtcMonthStart(SystemNow()));
  EXPECT_EQ(Call("/v1/key/info", {}).action, Action::kOk);  // free calls still work

  SimOptions daily;
  daily.credits_per_day = 1;
  Start(daily);
  EXPECT_EQ(Call().action, Action::kOk);
  Decision day = Call();
  EXPECT_EQ(day.action, Action::kStopUntil);
  EXPECT_EQ(ParseStatus(last_.body)->error_code, 1009);
}

TEST_F(SimFaultTest, TheKeyIsNeverLoggedOrReturned) {
  log::RegisterSecret(kKey);
  ::testing::internal::CaptureStdout();
  ::testing::internal::CaptureStderr();
  Inject(R"([{"fault":"status","http":503},{"fault":"new_field"}])");
  Call();
  Call();
  Call("/v1/key/info", {});
  log::Error("client error", {{"request", last_.request}});
  std::string out = ::testing::internal::GetCapturedStdout();
  std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(out.find(kKey), std::string::npos);
  EXPECT_EQ(err.find(kKey), std::string::npos);
  EXPECT_EQ(last_.request.find(kKey), std::string::npos);
  EXPECT_EQ(last_.body.find(kKey), std::string::npos);  // what the lake would store
}

}  // namespace
}  // namespace coinlake::cmc
