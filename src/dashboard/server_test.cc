// The dashboard server over a real database filled by the pipeline.
#include "dashboard/server.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <nlohmann/json.hpp>

#include "cmc/sim.h"
#include "pipeline/fetch.h"
#include "tests/test_support.h"

namespace coinlake::dashboard {
namespace {

using coinlake::testing::TempDir;
using coinlake::testing::TestDatabase;

class ServerTest : public ::testing::Test {
 protected:
  void StartServer() {
    ServeOptions options;
    options.host = "127.0.0.1";
    options.port = 0;
    options.database_url = db_.url();
    server_ = std::move(Server::Start(options)).value();
    client_ = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
  }
  void Fill() {
    cmc::SimOptions sim_options;
    sim_options.port = 0;
    sim_options.coins = 150;
    auto sim = std::move(cmc::Simulator::Start(sim_options)).value();
    pipeline::FetchOptions f;
    f.database_url = db_.url();
    f.lake_url = "file://" + dir_.path() + "/lake";
    f.spool_dir = dir_.path() + "/spool";
    f.cmc.base_url = sim->base_url();
    f.cmc.api_key = "k-test";
    StopSignal stop;
    ASSERT_TRUE(pipeline::RunFetch(f, stop).ok());
  }
  TestDatabase db_;
  TempDir dir_;
  std::unique_ptr<Server> server_;
  std::unique_ptr<httplib::Client> client_;
};

TEST_F(ServerTest, EmptyDatabaseIsHealthyButHasNoSnapshot) {
  db_.Migrate();
  StartServer();
  auto res = client_->Get("/api/v1/health");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  auto health = nlohmann::json::parse(res->body);
  EXPECT_EQ(health["status"], "ok");
  EXPECT_TRUE(health["latest_snapshot"].is_null());
  auto latest = nlohmann::json::parse(client_->Get("/api/v1/latest")->body);
  EXPECT_EQ(latest["count"], 0);
}

TEST_F(ServerTest, LatestServesTheLoadedSnapshot) {
  db_.Migrate();
  Fill();
  StartServer();
  auto res = client_->Get("/api/v1/latest?limit=10");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  EXPECT_EQ(res->get_header_value("Content-Type"), "application/json");
  auto latest = nlohmann::json::parse(res->body);
  ASSERT_EQ(latest["count"], 10);
  EXPECT_EQ(latest["data"][0]["rank"], 1);
  EXPECT_EQ(latest["data"][9]["rank"], 10);
  EXPECT_GT(latest["data"][0]["price"].get<double>(), 0);
  auto by_change =
      nlohmann::json::parse(client_->Get("/api/v1/latest?limit=100&sort=percent_change_24h")->body);
  for (size_t i = 1; i < by_change["data"].size(); ++i) {
    EXPECT_GE(by_change["data"][i - 1]["percent_change_24h"].get<double>(),
              by_change["data"][i]["percent_change_24h"].get<double>());
  }
  auto health = nlohmann::json::parse(client_->Get("/api/v1/health")->body);
  EXPECT_FALSE(health["latest_snapshot"].is_null());
  EXPECT_LT(health["snapshot_age_seconds"].get<double>(), 600);
}

TEST_F(ServerTest, BadInputIs400WithAJsonError) {
  db_.Migrate();
  StartServer();
  for (const char* path :
       {"/api/v1/latest?limit=abc", "/api/v1/latest?sort=1%3BDROP%20TABLE%20quotes",
        "/api/v1/latest?currency=usd'", "/api/v1/health?x=1"}) {
    auto res = client_->Get(path);
    ASSERT_TRUE(res) << path;
    EXPECT_EQ(res->status, 400) << path;
    EXPECT_TRUE(nlohmann::json::parse(res->body).contains("error"));
  }
  EXPECT_EQ(db_.Scalar("SELECT count(*) FROM pg_tables WHERE tablename = 'quotes'"), "1");
}

TEST_F(ServerTest, PageAndHeaders) {
  db_.Migrate();
  StartServer();
  auto page = client_->Get("/");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  EXPECT_NE(page->body.find("<title>coinlake</title>"), std::string::npos);
  EXPECT_NE(page->get_header_value("Content-Security-Policy").find("frame-ancestors 'none'"),
            std::string::npos);
  EXPECT_EQ(page->get_header_value("X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(client_->Get("/app.js")->status, 200);
  for (const char* path : {"/../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/nope.html"}) {
    auto res = client_->Get(path);
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 404) << path;
    EXPECT_EQ(res->body.find("root:"), std::string::npos);
  }
  EXPECT_EQ(client_->Get("/api/v1/nope")->status, 404);
}

TEST_F(ServerTest, DatabaseDownIs503NotACrash) {
  db_.Migrate();
  ServeOptions options;
  options.host = "127.0.0.1";
  options.port = 0;
  options.database_url = "postgresql://nobody@127.0.0.1:1/none?connect_timeout=1";
  auto server = std::move(Server::Start(options)).value();
  httplib::Client client("127.0.0.1", server->port());
  auto res = client.Get("/api/v1/health");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 503);
  EXPECT_EQ(nlohmann::json::parse(res->body)["error"], "database unavailable");
}

}  // namespace
}  // namespace coinlake::dashboard
