// `coinlake run` end to end against the simulator and a real PostgreSQL: the run lock, the
// heartbeat, the metrics textfile, SIGHUP reloads (good and bad) and SIGTERM; and a database
// that accepts connections but never answers.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "alerts/outage_journal.h"
#include "alerts/webhook.h"
#include "cmc/sim.h"
#include "pipeline/audit.h"
#include "pipeline/fetch.h"
#include "pipeline/pipeline_watch.h"
#include "pipeline/reprocess.h"
#include "pipeline/test_lake.h"
#include "tests/status_matchers.h"
#include "tests/test_support.h"

namespace coinlake::pipeline {
namespace {

using namespace std::chrono_literals;

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// A `coinlake run` child process with its output in files.
class RunProcess {
 public:
  RunProcess(const std::vector<std::string>& args, const std::string& dir, const std::string& name)
      : out_(dir + "/" + name + ".out"), err_(dir + "/" + name + ".err") {
    pid_ = fork();
    if (pid_ == 0) {
      int out = open(out_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      int err = open(err_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      dup2(out, 1);
      dup2(err, 2);
      std::vector<char*> argv;
      for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      execv(argv[0], argv.data());
      _exit(127);
    }
  }
  ~RunProcess() {
    if (pid_ > 0 && !exited_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  void Signal(int sig) { kill(pid_, sig); }
  // Exit code, or -1 if it did not exit within `timeout`.
  int Wait(std::chrono::seconds timeout) {
    for (auto end = std::chrono::steady_clock::now() + timeout;
         std::chrono::steady_clock::now() < end; std::this_thread::sleep_for(50ms)) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        exited_ = true;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
    }
    return -1;
  }
  std::string out() const { return Slurp(out_); }
  std::string err() const { return Slurp(err_); }

 private:
  std::string out_, err_;
  pid_t pid_ = -1;
  bool exited_ = false;
};

bool Eventually(const std::function<bool()>& condition, std::chrono::seconds timeout = 60s) {
  for (auto end = std::chrono::steady_clock::now() + timeout;
       std::chrono::steady_clock::now() < end; std::this_thread::sleep_for(100ms)) {
    if (condition()) return true;
  }
  return condition();
}

// `run` polls listings at start and then on the 5-minute grid of the wall clock. A test begun just
// before a grid point would see a second cycle it does not expect; starting it just after one
// leaves it the whole interval; 20 s is more than any of these tests needs for its first cycles.
void StayClearOfTheNextFiveMinuteTick() {
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  const auto into_interval = now % std::chrono::minutes(5);
  if (std::chrono::minutes(5) - into_interval < 20s) {
    std::this_thread::sleep_for(std::chrono::minutes(5) - into_interval + 1s);
  }
}

class RunLoopTest : public ::testing::Test {
 protected:
  void SetUp() override {
    StayClearOfTheNextFiveMinuteTick();
    db_.Migrate();
    cmc::SimOptions sim;
    sim.port = 0;
    sim.coins = 300;
    auto started = cmc::Simulator::Start(sim);
    ASSERT_OK(started);
    sim_ = std::move(started).value();
    config_ = dir_.path() + "/coinlake.toml";
    WriteConfig("limit = 200\n");
    setenv("CMC_API_KEY", "test-key", 1);
  }
  void TearDown() override { sim_->Stop(); }

  // `top`: global options (alert rules and channels).
  void WriteConfig(const std::string& run_section, const std::string& top = "") {
    std::ofstream(config_) << top << "lake-url = \"" << dir_.path() << "/lake\"\n"
                           << "spool-dir = \"" << dir_.path() << "/spool\"\n"
                           << "[run]\n"
                           << "cmc-url = \"" << sim_->base_url() << "\"\n"
                           << "metrics-textfile = \"" << dir_.path() << "/coinlake.prom\"\n"
                           << run_section;
  }
  std::vector<std::string> Args() const {
    return {COINLAKE_BINARY, "--database-url", db_.url(), "--config", config_, "run"};
  }

  coinlake::testing::TestDatabase db_;
  coinlake::testing::TempDir dir_;
  std::unique_ptr<cmc::Simulator> sim_;
  std::string config_;
};

TEST_F(RunLoopTest, OneRunPerDatabaseHeartbeatMetricsReloadAndStop) {
  RunProcess first(Args(), dir_.path(), "first");
  ASSERT_TRUE(Eventually([&] {
    return db_.Scalar("SELECT count(*) FROM pipeline_heartbeat WHERE cycles >= 1") == "1";
  })) << first.out()
      << first.err();
  // The governor read the sim's plan from /v1/key/info and counted what it spent since.
  EXPECT_EQ(db_.Scalar("SELECT credits_plan_month > 0 AND credits_used_month >= 1 "
                       "FROM pipeline_heartbeat"),
            "t");
  EXPECT_EQ(db_.Scalar("SELECT state || ' ' || last_outcome FROM pipeline_heartbeat"),
            "running ok");
  EXPECT_EQ(db_.Scalar("SELECT listings_interval_seconds FROM pipeline_heartbeat"), "300");
  // So does each cycle's runs row: audit judges each stretch of history by its own schedule.
  EXPECT_EQ(db_.Scalar("SELECT command || ' ' || listings_interval_seconds FROM runs LIMIT 1"),
            "run 300");
  EXPECT_EQ(db_.Scalar("SELECT count(*) FROM quotes"), "200");

  // A second run against the same database refuses, with one clear line, and exits 1.
  RunProcess second(Args(), dir_.path(), "second");
  EXPECT_EQ(second.Wait(60s), 1) << second.out();
  std::string refusal = second.err();
  EXPECT_NE(refusal.find("already holds this database's run lock"), std::string::npos) << refusal;
  EXPECT_EQ(std::count(refusal.begin(), refusal.end(), '\n'), 1) << refusal;

  // The textfile is there and complete.
  std::string metrics = Slurp(dir_.path() + "/coinlake.prom");
  EXPECT_NE(metrics.find("coinlake_cycles_total{outcome=\"ok\"} 1\n"), std::string::npos)
      << metrics;
  EXPECT_EQ(metrics.find("coinlake_rows_loaded_total 0\n"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("coinlake_run_lock_held 1\n"), std::string::npos) << metrics;
  // The log's heartbeat line after the cycle, which the AWS template's alarm counts.
  EXPECT_TRUE(Eventually([&] {
    std::istringstream lines(first.out());
    for (std::string line; std::getline(lines, line);) {
      if (line.find("\"msg\":\"heartbeat\"") != std::string::npos &&
          line.find("\"last_outcome\":\"ok\"") != std::string::npos) {
        return true;
      }
    }
    return false;
  })) << first.out();

  // A bad file on SIGHUP: logged, the running configuration kept, the process alive.
  std::ofstream(config_) << "[run]\nno-such-option = 1\n";
  first.Signal(SIGHUP);
  ASSERT_TRUE(Eventually([&] {
    return first.out().find("configuration not reloaded") != std::string::npos;
  })) << first.out();
  EXPECT_EQ(first.Wait(1s), -1) << "run exited on a bad reload";

  // A good file on SIGHUP: reloaded (listings every 60 s now, global metrics on).
  WriteConfig("limit = 100\nlistings-interval = 60\nglobal-metrics-interval = 60\n");
  first.Signal(SIGHUP);
  ASSERT_TRUE(Eventually([&] {
    return first.out().find("configuration reloaded") != std::string::npos;
  })) << first.out();
  EXPECT_NE(first.out().find("\"global_metrics_latest\":60"), std::string::npos) << first.out();
  // The heartbeat then tells the dashboard the new listings interval (its gaps follow it).
  EXPECT_TRUE(Eventually([&] {
    return db_.Scalar("SELECT listings_interval_seconds FROM pipeline_heartbeat") == "60";
  }));

  // SIGTERM: exit 0, the heartbeat says stopped, and the lock is free for the next run.
  first.Signal(SIGTERM);
  EXPECT_EQ(first.Wait(60s), 0) << first.out() << first.err();
  EXPECT_EQ(db_.Scalar("SELECT state FROM pipeline_heartbeat"), "stopped");
  auto conn = db_.Connect();
  EXPECT_EQ(conn->Query("SELECT pg_try_advisory_lock(7165061455155391333)")->text(0, 0), "t");
}

// A market rule end to end: the first `run` records the notification with its snapshot but cannot
// deliver it (the receiver is down) and is killed with SIGKILL; the receiver comes up, and the
// next `run` delivers it, once, signed, although its own first cycle sees the rule still firing.
TEST_F(RunLoopTest, AnAlertRecordedBeforeKillNineIsDeliveredOnceByTheNextRun) {
  coinlake::testing::RefusingPort down;  // the receiver is down: connections are refused
  const int port = down.port();
  ASSERT_GT(port, 0);
  const std::string secret = "run-test-hook-secret";
  setenv("COINLAKE_RUN_TEST_HOOK_SECRET", secret.c_str(), 1);
  WriteConfig("limit = 200\n", "alert-webhook = \"ops: http://127.0.0.1:" + std::to_string(port) +
                                   "/hook secret-env=COINLAKE_RUN_TEST_HOOK_SECRET timeout=2s\"\n"
                                   "alert-rule = \"btc-any: price BTC above 0.0001 cooldown=0\"\n");
  {
    RunProcess first(Args(), dir_.path(), "first");
    ASSERT_TRUE(Eventually([&] {
      return db_.Scalar("SELECT count(*) FROM alert_outbox WHERE attempts >= 1") == "1";
    })) << first.out()
        << first.err();
    EXPECT_EQ(db_.Scalar("SELECT count(*) FROM lake_objects WHERE endpoint = 'listings_latest'"),
              "1");
    EXPECT_EQ(db_.Scalar("SELECT delivered_at IS NULL FROM alert_outbox"), "t");
    // The cycle's log line tells the rules' own time inside the load (alerts_ms).
    EXPECT_TRUE(Eventually([&] {
      std::istringstream lines(first.out());
      for (std::string line; std::getline(lines, line);) {
        if (line.find("\"cycle finished\"") == std::string::npos) continue;
        if (nlohmann::json::parse(line).value("alerts_ms", 0.0) > 0) return true;
      }
      return false;
    })) << first.out();
    first.Signal(SIGKILL);
    EXPECT_EQ(first.Wait(30s), 128 + SIGKILL);
  }
  // Lake keys are to the second of the snapshot: a second run answered within the same second
  // would find its keys taken by the first run's objects and keep its own in quarantine (as it
  // must), which is not what this test is about. On a quiet machine the first run's whole life
  // fits in under a second.
  std::this_thread::sleep_for(1100ms);

  httplib::Server receiver;
  std::mutex mu;
  std::vector<httplib::Request> got;
  receiver.Post("/hook", [&](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard lock(mu);
    got.push_back(req);
    res.set_content("{}", "application/json");
  });
  down.Release();
  ASSERT_TRUE(receiver.bind_to_port("127.0.0.1", port));
  std::thread serving([&] { receiver.listen_after_bind(); });
  auto stop_receiver = [&] {
    if (!serving.joinable()) return;
    receiver.stop();
    serving.join();
  };
  struct AtExit {
    std::function<void()> f;
    ~AtExit() { f(); }
  } at_exit{stop_receiver};

  RunProcess second(Args(), dir_.path(), "second");
  EXPECT_TRUE(Eventually([&] {
    return db_.Scalar("SELECT count(*) FROM alert_outbox WHERE delivered_at IS NOT NULL") == "1" &&
           db_.Scalar("SELECT count(*) FROM lake_objects WHERE endpoint = 'listings_latest'") ==
               "2";
  })) << second.out()
      << second.err();
  std::this_thread::sleep_for(1500ms);  // several polls of the sender: nothing more goes out
  second.Signal(SIGTERM);
  EXPECT_EQ(second.Wait(60s), 0) << second.err();
  stop_receiver();

  EXPECT_EQ(db_.Scalar("SELECT count(*) FROM alert_outbox"), "1") << "still firing: no repeat";
  std::lock_guard lock(mu);
  ASSERT_EQ(got.size(), 1u);
  auto body = nlohmann::json::parse(got[0].body);
  EXPECT_EQ(body["rule"], "btc-any");
  EXPECT_EQ(body["event"], "firing");
  EXPECT_EQ(body["subject"]["cmc_id"], 1);
  EXPECT_EQ(got[0].get_header_value("Idempotency-Key"), body["idempotency_key"]);
  EXPECT_EQ(got[0].get_header_value("X-Coinlake-Signature"),
            "sha256=" + alerts::SignatureOf(secret, got[0].body));
  EXPECT_EQ(second.out().find(secret), std::string::npos);
}

// Alert rules and channels reload with the rest on SIGHUP: a channel whose secret cannot be read
// keeps the running configuration (and its sender); a new rule is evaluated from the next cycle
// and delivered by the new sender.
TEST_F(RunLoopTest, AlertRulesReloadOnSighupOrTheRunningOnesAreKept) {
  httplib::Server receiver;
  std::mutex mu;
  std::vector<std::string> rules;
  receiver.Post("/hook", [&](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard lock(mu);
    rules.push_back(nlohmann::json::parse(req.body)["rule"]);
    res.set_content("{}", "application/json");
  });
  int port = receiver.bind_to_any_port("127.0.0.1");
  ASSERT_GT(port, 0);
  std::thread serving([&] { receiver.listen_after_bind(); });
  struct AtExit {
    httplib::Server& server;
    std::thread& thread;
    ~AtExit() {
      server.stop();
      thread.join();
    }
  } at_exit{receiver, serving};
  setenv("COINLAKE_RUN_TEST_HOOK_SECRET", "reload-test-secret", 1);
  auto config = [&](const std::string& secret, const std::string& extra_rule) {
    // Market rules only: this test counts their notifications (pipeline rules have their own).
    WriteConfig("limit = 200\nlistings-interval = 10\n",
                "alert-pipeline-defaults = false\nalert-webhook = \"ops: http://127.0.0.1:" +
                    std::to_string(port) + "/hook " + secret + "\"\n" +
                    "alert-rule = [\"btc-any: price BTC above 0.0001\"" + extra_rule + "]\n");
  };
  config("secret-env=COINLAKE_RUN_TEST_HOOK_SECRET", "");
  RunProcess run(Args(), dir_.path(), "run");
  ASSERT_TRUE(Eventually([&] {
    return db_.Scalar("SELECT count(*) FROM alert_outbox WHERE delivered_at IS NOT NULL") == "1";
  })) << run.out()
      << run.err();
  // The running rules are listed for the dashboard (alert_rules), and stay so through a reload
  // that is refused.
  auto listed = [&] {
    return db_.Scalar("SELECT string_agg(name, ' ' ORDER BY position) FROM alert_rules");
  };
  EXPECT_EQ(listed(), "btc-any");

  config("secret-file=" + dir_.path() + "/no-such.secret", ", \"eth-any: price ETH above 0.0001\"");
  run.Signal(SIGHUP);
  ASSERT_TRUE(Eventually([&] {
    return run.out().find("configuration not reloaded") != std::string::npos;
  })) << run.out();
  EXPECT_NE(run.out().find("no-such.secret"), std::string::npos);
  EXPECT_EQ(listed(), "btc-any");

  config("secret-env=COINLAKE_RUN_TEST_HOOK_SECRET", ", \"eth-any: price ETH above 0.0001\"");
  run.Signal(SIGHUP);
  ASSERT_TRUE(Eventually([&] {
    return db_.Scalar(
               "SELECT count(*) FROM alert_outbox WHERE rule = 'eth-any' AND "
               "delivered_at IS NOT NULL") == "1";
  })) << run.out()
      << run.err();
  EXPECT_EQ(listed(), "btc-any eth-any");
  run.Signal(SIGTERM);
  EXPECT_EQ(run.Wait(60s), 0) << run.err();
  std::lock_guard lock(mu);
  EXPECT_EQ(rules, (std::vector<std::string>{"btc-any", "eth-any"}));
}

// A dominance rule end to end: `run`'s first cycle loads the simulator's global metrics, the
// rule fires inside that load (the outbox row commits with the global_metrics row), and the sender
// delivers it, signed, to the receiver; the dashboard's rule list names its kind.
TEST_F(RunLoopTest, ADominanceRuleFiresOnLiveGlobalMetricsAndIsDelivered) {
  httplib::Server receiver;
  std::mutex mu;
  std::vector<httplib::Request> got;
  receiver.Post("/hook", [&](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard lock(mu);
    got.push_back(req);
    res.set_content("{}", "application/json");
  });
  int port = receiver.bind_to_any_port("127.0.0.1");
  ASSERT_GT(port, 0);
  std::thread serving([&] { receiver.listen_after_bind(); });
  struct AtExit {
    httplib::Server& server;
    std::thread& thread;
    ~AtExit() {
      server.stop();
      thread.join();
    }
  } at_exit{receiver, serving};
  const std::string secret = "dominance-test-secret";
  setenv("COINLAKE_RUN_TEST_HOOK_SECRET", secret.c_str(), 1);
  // BTC's share of the simulated market is always above 1 % and ETH's below 99 %; only the first
  // rule's condition holds.
  WriteConfig("limit = 200\n",
              "alert-pipeline-defaults = false\nalert-webhook = \"ops: http://127.0.0.1:" +
                  std::to_string(port) +
                  "/hook secret-env=COINLAKE_RUN_TEST_HOOK_SECRET timeout=2s\"\n"
                  "alert-rule = [\"btc-dom: dominance BTC above 1 cooldown=0\",\n"
                  "              \"eth-dom: dominance ETH above 99\"]\n");
  RunProcess run(Args(), dir_.path(), "run");
  ASSERT_TRUE(Eventually([&] {
    return db_.Scalar("SELECT count(*) FROM alert_outbox WHERE delivered_at IS NOT NULL") == "1";
  })) << run.out()
      << run.err();
  EXPECT_EQ(db_.Scalar("SELECT string_agg(name || ' ' || kind, ', ' ORDER BY position) "
                       "FROM alert_rules"),
            "btc-dom dominance, eth-dom dominance");
  run.Signal(SIGTERM);
  EXPECT_EQ(run.Wait(60s), 0) << run.err();

  // The notification came from the live global metrics object, in its load transaction.
  EXPECT_EQ(db_.Scalar("SELECT count(*) FROM alert_outbox"), "1");
  EXPECT_EQ(
      db_.Scalar("SELECT count(*) FROM alert_outbox o JOIN lake_objects l "
                 "ON l.key = o.payload->>'snapshot' WHERE l.endpoint = 'global_metrics_latest'"),
      "1");
  std::lock_guard lock(mu);
  ASSERT_EQ(got.size(), 1u);
  auto body = nlohmann::json::parse(got[0].body);
  EXPECT_EQ(body["rule"], "btc-dom");
  EXPECT_EQ(body["event"], "firing");
  EXPECT_EQ(body["subject"]["cmc_id"], 1);
  EXPECT_EQ(body["values"]["metric"], "btc_dominance");
  // The value is the share the loaded row holds.
  EXPECT_EQ(db_.Scalar("SELECT count(*) FROM global_metrics WHERE quote_currency = 'USD' AND "
                       "abs(btc_dominance - " +
                       body["values"]["value"].dump() + ") < 1e-9"),
            "1");
  EXPECT_EQ(got[0].get_header_value("X-Coinlake-Signature"),
            "sha256=" + alerts::SignatureOf(secret, got[0].body));
}

// The lake holds two closed days nobody compacted: `run` compacts them between its cycles (both
// at once: the next cycle is minutes away) and a day of its own snapshots stays open.
TEST_F(RunLoopTest, ClosedDaysAreCompactedBetweenCycles) {
  testing::MakeLake(dir_.path() + "/lake", 1);  // 2026-03-31 and 2026-04-01
  RunProcess run(Args(), dir_.path(), "run");
  const std::string curated = dir_.path() + "/lake/curated/_manifests/quotes/";
  ASSERT_TRUE(Eventually([&] {
    return std::filesystem::exists(curated + "dt=2026-03-31/v000001.json") &&
           std::filesystem::exists(curated + "dt=2026-04-01/v000001.json");
  })) << run.out();
  EXPECT_NE(run.out().find("\"msg\":\"curated day compacted\""), std::string::npos);
  // Today's snapshots are not compacted: the day is open.
  EXPECT_FALSE(std::filesystem::exists(curated + "dt=" + FormatDate(SystemNow())));
  run.Signal(SIGTERM);
  EXPECT_EQ(run.Wait(60s), 0) << run.err();
}

// With quotes-retention-days in the configuration file, `run` drops the partitions beyond it once
// its compaction has put their days in the lake (docs/database.md, "Retention"), and says so on
// the pipeline page's record.
TEST_F(RunLoopTest, RetentionDropsCompactedPartitionsAfterCompactionCatchesUp) {
  testing::MakeLake(dir_.path() + "/lake", 1);  // 2026-03-31 and 2026-04-01, loaded below
  ReprocessOptions reprocess;
  reprocess.database_url = db_.url();
  reprocess.lake_url = dir_.path() + "/lake";
  StopSignal stop;
  ASSERT_OK(RunReprocess(reprocess, stop));
  // Both days are in the ISO week of Monday 2026-03-30.
  ASSERT_EQ(db_.Scalar("SELECT to_regclass('public.quotes_w2026_03_30') IS NOT NULL"), "t");
  std::ofstream(config_) << "quotes-retention-days = 30\n"
                         << "lake-url = \"" << dir_.path() << "/lake\"\n"
                         << "spool-dir = \"" << dir_.path() << "/spool\"\n"
                         << "[run]\n"
                         << "cmc-url = \"" << sim_->base_url() << "\"\n";
  RunProcess run(Args(), dir_.path(), "run");
  ASSERT_TRUE(Eventually([&] {
    return db_.Scalar("SELECT count(*) FROM quotes_retention_dropped") == "1";
  })) << run.out();
  EXPECT_EQ(db_.Scalar("SELECT to_regclass('public.quotes_w2026_03_30') IS NULL"), "t");
  EXPECT_EQ(db_.Scalar("SELECT retention_days || ' ' || (blocked_start IS NULL) FROM "
                       "quotes_retention_status"),
            "30 true");
  EXPECT_NE(run.out().find("\"msg\":\"retention: partition dropped"), std::string::npos);
  // The quotes of this run's own cycles are inside retention and stay.
  EXPECT_NE(db_.Scalar("SELECT count(*) FROM quotes"), "0");
  run.Signal(SIGTERM);
  EXPECT_EQ(run.Wait(60s), 0) << run.err();
}

// A database that accepts TCP connections and never answers: each cycle ends with an error
// (connect_timeout), the response still lands in the lake, and the next cycle runs.
TEST_F(RunLoopTest, HungDatabaseFailsTheCycleAndTheNextOneRuns) {
  int listener = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  socklen_t len = sizeof(addr);
  getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len);
  ASSERT_EQ(listen(listener, 16), 0);  // the kernel accepts; nobody ever answers

  FetchOptions options;
  options.database_url = "postgresql://coinlake@127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) +
                         "/x?connect_timeout=2";
  options.lake_url = dir_.path() + "/lake";
  options.spool_dir = dir_.path() + "/spool";
  options.cmc.base_url = sim_->base_url();
  options.cmc.api_key = "test-key";
  options.schedule = {{"listings_latest", std::chrono::seconds(300)}};
  StopSignal stop;
  auto pipeline = Pipeline::Make(options, stop);
  ASSERT_OK(pipeline);
  for (int cycle = 0; cycle < 2; ++cycle) {
    auto started = std::chrono::steady_clock::now();
    auto result = (*pipeline)->RunCycle("run", {"listings_latest"});
    EXPECT_FALSE(result.ok());
    EXPECT_EQ(result.status().code(), StatusCode::kUnavailable) << result.status().ToString();
    EXPECT_LT(std::chrono::steady_clock::now() - started, 30s);
  }
  // Fetched all the same: the lake has the snapshots, waiting to be loaded.
  int bodies = 0;
  for (auto& f : std::filesystem::recursive_directory_iterator(dir_.path() + "/lake/raw")) {
    bodies += f.path().string().ends_with(".json.gz") ? 1 : 0;
  }
  EXPECT_GE(bodies, 1);
  close(listener);
}

// A webhook receiver on loopback that keeps every body it was sent.
class Receiver {
 public:
  // `port`: one a RefusingPort held until now (0: any).
  explicit Receiver(int port = 0) {
    server_.Post("/hook", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard lock(mu_);
      bodies_.push_back(nlohmann::json::parse(req.body));
      ++keys_[req.get_header_value("Idempotency-Key")];
      res.set_content("{}", "application/json");
    });
    port_ = port == 0 ? server_.bind_to_any_port("127.0.0.1")
                      : (server_.bind_to_port("127.0.0.1", port) ? port : -1);
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~Receiver() {
    server_.stop();
    thread_.join();
  }
  int port() const { return port_; }
  // "rule/subject key/event" of each notification received, in order.
  std::vector<std::string> Events() {
    std::lock_guard lock(mu_);
    std::vector<std::string> out;
    for (const nlohmann::json& body : bodies_) {
      const nlohmann::json& subject = body["subject"];
      std::string what = subject.contains("endpoint") ? subject["endpoint"].get<std::string>()
                                                      : std::string("pipeline");
      out.push_back(body["rule"].get<std::string>() + "/" + what + "/" +
                    body["event"].get<std::string>());
    }
    return out;
  }
  std::vector<nlohmann::json> Bodies() {
    std::lock_guard lock(mu_);
    return bodies_;
  }
  // How many times each Idempotency-Key arrived: a receiver that drops repeats counts on these.
  std::map<std::string, int> Keys() {
    std::lock_guard lock(mu_);
    return keys_;
  }

 private:
  httplib::Server server_;
  std::mutex mu_;
  std::vector<nlohmann::json> bodies_;
  std::map<std::string, int> keys_;
  int port_ = 0;
  std::thread thread_;
};

std::string PipelineAlertConfig(int port, const std::string& rules) {
  setenv("COINLAKE_RUN_TEST_HOOK_SECRET", "pipeline-test-secret", 1);
  return "alert-pipeline-defaults = false\n"
         "alert-webhook = \"ops: http://127.0.0.1:" +
         std::to_string(port) +
         "/hook secret-env=COINLAKE_RUN_TEST_HOOK_SECRET timeout=2s\"\n"
         "alert-rule = [" +
         rules + "]\n";
}

bool Contains(const std::vector<std::string>& events, const std::string& event) {
  return std::find(events.begin(), events.end(), event) != events.end();
}

// CMC answers listings with 403 (error 1006: the plan does not cover it): `run` stops the endpoint
// until restart, and the endpoint-stopped rule fires for it. The next `run`, with the plan fixed,
// is answered and resolves it; neither notification is sent twice.
TEST_F(RunLoopTest, AnEndpointStoppedByCmcFiresAndResolvesOnceItIsAnsweredAgain) {
  Receiver receiver;
  ASSERT_GT(receiver.port(), 0);
  WriteConfig(
      "limit = 200\nlistings-interval = 5\n",
      PipelineAlertConfig(receiver.port(), "\"stopped: pipeline endpoint-stopped cooldown=0\""));
  httplib::Client sim(sim_->base_url());
  auto posted =
      sim.Post("/__sim/faults",
               R"([{"fault":"status","http":403,"path":"/v1/cryptocurrency/listings/latest"}])",
               "application/json");
  ASSERT_TRUE(posted && posted->status == 200);
  {
    RunProcess first(Args(), dir_.path(), "first");
    ASSERT_TRUE(Eventually([&] { return !receiver.Events().empty(); })) << first.out();
    std::this_thread::sleep_for(7s);  // a later cycle, and its evaluations: still stopped, quiet
    first.Signal(SIGTERM);
    EXPECT_EQ(first.Wait(60s), 0) << first.err();
    EXPECT_EQ(receiver.Events(), (std::vector<std::string>{"stopped/listings_latest/firing"}));
    EXPECT_EQ(db_.Scalar("SELECT firing FROM alert_state WHERE rule = 'stopped'"), "t");
  }
  RunProcess second(Args(), dir_.path(), "second");
  ASSERT_TRUE(Eventually([&] { return receiver.Events().size() == 2; })) << second.out();
  std::this_thread::sleep_for(2s);
  second.Signal(SIGTERM);
  EXPECT_EQ(second.Wait(60s), 0) << second.err();
  EXPECT_EQ(receiver.Events(), (std::vector<std::string>{"stopped/listings_latest/firing",
                                                         "stopped/listings_latest/resolved"}));
  EXPECT_EQ(db_.Scalar("SELECT count(*) FROM alert_outbox WHERE delivered_at IS NULL"), "0");
}

// The API fails every call (503): no live snapshot loads, cycles fail; `stale 1` fires one
// listings interval after the start and `failed-cycles 2` after the second failed cycle. Once
// the API answers again, the next load resolves both. (Each failed call has 5 attempts, and the
// credit governor allows 30 calls a minute before it has read the plan: the map and global
// metrics are off so that three failed cycles fit in the first minute.)
TEST_F(RunLoopTest, AnApiOutageFiresStaleAndFailedCyclesAndTheNextLoadResolvesThem) {
  Receiver receiver;
  ASSERT_GT(receiver.port(), 0);
  WriteConfig("limit = 200\nlistings-interval = 5\nmap-interval = 0\nglobal-metrics-interval = 0\n",
              PipelineAlertConfig(receiver.port(),
                                  "\"stale: pipeline stale 1 cooldown=0\", "
                                  "\"failed: pipeline failed-cycles 2 cooldown=0\""));
  httplib::Client sim(sim_->base_url());
  auto posted = sim.Post("/__sim/faults", R"([{"fault":"status","http":503,"count":100000}])",
                         "application/json");
  ASSERT_TRUE(posted && posted->status == 200);
  RunProcess run(Args(), dir_.path(), "run");
  ASSERT_TRUE(Eventually([&] {
    auto events = receiver.Events();
    return Contains(events, "stale/pipeline/firing") && Contains(events, "failed/pipeline/firing");
  })) << run.out();
  EXPECT_EQ(db_.Scalar("SELECT count(*) FROM lake_objects WHERE endpoint = 'listings_latest'"),
            "0");
  auto deleted = sim.Delete("/__sim/faults");
  ASSERT_TRUE(deleted && deleted->status == 200);
  ASSERT_TRUE(Eventually([&] { return receiver.Events().size() == 4; }, 120s)) << run.out();
  std::this_thread::sleep_for(2s);
  run.Signal(SIGTERM);
  EXPECT_EQ(run.Wait(60s), 0) << run.err();
  auto events = receiver.Events();
  EXPECT_EQ(events.size(), 4u);
  EXPECT_TRUE(Contains(events, "stale/pipeline/resolved"));
  EXPECT_TRUE(Contains(events, "failed/pipeline/resolved"));
  EXPECT_EQ(db_.Scalar("SELECT count(*) FROM alert_state WHERE firing"), "0");
}

// Makes the test's database refuse new connections and ends those it has: to `run`, the
// database is down (its lock, its loads, the sender all fail) while PostgreSQL itself runs.
class DatabaseOutage {
 public:
  explicit DatabaseOutage(const coinlake::testing::TestDatabase& db)
      : name_(db.Scalar("SELECT current_database()")) {
    const char* url = std::getenv("COINLAKE_TEST_DATABASE_URL");  // the server's, not this db's
    if (url == nullptr) {
      ADD_FAILURE() << "COINLAKE_TEST_DATABASE_URL is not set: run through scripts/test";
      return;
    }
    auto admin = warehouse::Connection::Open(url);
    EXPECT_OK(admin);
    if (admin.ok()) admin_ = std::move(admin).value();
  }
  ~DatabaseOutage() { End(); }
  void Begin() {
    ASSERT_NE(admin_, nullptr);
    ASSERT_OK(admin_->Execute("ALTER DATABASE \"" + name_ + "\" ALLOW_CONNECTIONS false"));
    ASSERT_OK(
        admin_->Query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                      "WHERE datname = $1",
                      {name_}));
    down_ = true;
  }
  void End() {
    if (!down_ || !admin_) return;
    EXPECT_OK(admin_->Execute("ALTER DATABASE \"" + name_ + "\" ALLOW_CONNECTIONS true"));
    down_ = false;
  }

 private:
  std::string name_;
  std::unique_ptr<warehouse::Connection> admin_;
  bool down_ = false;
};

std::string DatabaseOutageConfig(const std::string& channels) {
  setenv("COINLAKE_RUN_TEST_HOOK_SECRET", "pipeline-test-secret", 1);
  return "alert-pipeline-defaults = false\n"
         "alert-webhook = [" +
         channels +
         "]\n"
         "alert-rule = \"db-down: pipeline database-outage 5s\"\n";
}

std::string Hook(const std::string& name, int port) {
  return "\"" + name + ": http://127.0.0.1:" + std::to_string(port) +
         "/hook secret-env=COINLAKE_RUN_TEST_HOOK_SECRET timeout=2s\"";
}

// The key the receiver got for `event` on `channel` ("" if none), and how often.
std::pair<std::string, int> KeyOf(Receiver& receiver, const std::string& event,
                                  const std::string& channel) {
  for (const auto& [key, count] : receiver.Keys()) {
    if (key.starts_with("db-down/pipeline/" + event + "/") && key.ends_with("/" + channel)) {
      return {key, count};
    }
  }
  return {"", 0};
}

// The database goes down under a running `run`: the database-outage firing reaches the receiver
// while it is still down (from the journal under the spool), and once it is back the resolved
// follows and the firing is not sent again: the outbox holds it as delivered, with the same key.
TEST_F(RunLoopTest, TheDatabaseOutageIsToldWhileItLastsAndNotAgainOnceItIsBack) {
  Receiver receiver;
  ASSERT_GT(receiver.port(), 0);
  WriteConfig("limit = 200\nlistings-interval = 3\nmap-interval = 0\nglobal-metrics-interval = 0\n",
              DatabaseOutageConfig(Hook("ops", receiver.port())));
  const std::string journal = PipelineWatch::JournalPath(dir_.path() + "/spool");
  RunProcess run(Args(), dir_.path(), "run");
  ASSERT_TRUE(Eventually([&] { return db_.Scalar("SELECT count(*) FROM lake_objects") != "0"; }))
      << run.out();
  DatabaseOutage outage(db_);
  outage.Begin();
  const auto down_at = std::chrono::system_clock::now();
  ASSERT_TRUE(Eventually([&] { return KeyOf(receiver, "firing", "ops").second > 0; })) << run.out();
  EXPECT_GE(std::chrono::system_clock::now() - down_at, 5s) << "not before the rule's 5 s";
  EXPECT_EQ(receiver.Events(), (std::vector<std::string>{"db-down/pipeline/firing"}));
  // The outcome is in the journal (written just after the receiver's answer).
  ASSERT_TRUE(Eventually([&] {
    alerts::OutageJournal kept = alerts::ReadJournal(journal);
    return kept.entries.size() == 1 && kept.entries[0].deliveries.size() == 1 &&
           kept.entries[0].deliveries[0].delivered_at.has_value();
  }));
  std::this_thread::sleep_for(4s);  // more evaluations while down: quiet
  EXPECT_EQ(receiver.Events().size(), 1u);

  outage.End();
  ASSERT_TRUE(Eventually([&] { return KeyOf(receiver, "resolved", "ops").second > 0; }))
      << run.out();
  std::this_thread::sleep_for(3s);  // time enough for a wrong second firing
  run.Signal(SIGTERM);
  EXPECT_EQ(run.Wait(60s), 0) << run.err();
  EXPECT_EQ(receiver.Events(),
            (std::vector<std::string>{"db-down/pipeline/firing", "db-down/pipeline/resolved"}));
  const auto [firing_key, firings] = KeyOf(receiver, "firing", "ops");
  EXPECT_EQ(firings, 1) << firing_key;
  EXPECT_EQ(KeyOf(receiver, "resolved", "ops").second, 1);
  EXPECT_EQ(db_.Scalar("SELECT string_agg(event || ' ' || (delivered_at IS NOT NULL)::text || ' ' "
                       "|| attempts, ', ' ORDER BY id) FROM alert_outbox"),
            "firing true 1, resolved true 1");
  EXPECT_EQ(db_.Scalar("SELECT idempotency_key FROM alert_outbox WHERE event = 'firing'"),
            firing_key);
  EXPECT_FALSE(std::filesystem::exists(journal)) << "removed once the outbox has the outage";
}

// `run` is killed (kill -9) while the database is down, after the journal reached ops and not
// pager (down too). A `run` cannot start before the database answers (its lock); the one started
// then reads the journal: the outage keeps its start (the firing's key is the journal's), ops
// does not get the firing again and gets the resolved; pager, whose firing failed already, has a
// backlog of firing and resolved, which goes out collapsed as one resolved carrying the firing's
// key (docs/alerts.md, "Backlog collapsing").
TEST_F(RunLoopTest, AfterKillNineDuringTheOutageTheNextRunSendsTheFiringOnlyWhereItIsMissing) {
  Receiver ops;
  ASSERT_GT(ops.port(), 0);
  coinlake::testing::RefusingPort pager_port;
  WriteConfig(
      "limit = 200\nlistings-interval = 3\nmap-interval = 0\nglobal-metrics-interval = 0\n",
      DatabaseOutageConfig(Hook("ops", ops.port()) + ", " + Hook("pager", pager_port.port())));
  const std::string journal = PipelineWatch::JournalPath(dir_.path() + "/spool");
  DatabaseOutage outage(db_);
  {
    RunProcess first(Args(), dir_.path(), "first");
    ASSERT_TRUE(Eventually([&] { return db_.Scalar("SELECT count(*) FROM lake_objects") != "0"; }))
        << first.out();
    outage.Begin();
    ASSERT_TRUE(Eventually([&] {
      alerts::OutageJournal kept = alerts::ReadJournal(journal);
      if (kept.entries.empty()) return false;
      int tried = 0;
      for (const auto& d : kept.entries[0].deliveries) {
        tried += d.channel == "ops" ? d.delivered_at.has_value() : d.attempts > 0;
      }
      return tried == 2;
    })) << first.out();
    first.Signal(SIGKILL);
    first.Wait(10s);
  }
  const std::string ops_firing = KeyOf(ops, "firing", "ops").first;
  ASSERT_FALSE(ops_firing.empty());
  std::this_thread::sleep_for(2s);
  outage.End();
  pager_port.Release();
  Receiver pager(pager_port.port());
  ASSERT_GT(pager.port(), 0);
  RunProcess second(Args(), dir_.path(), "second");
  ASSERT_TRUE(Eventually([&] {
    return KeyOf(ops, "resolved", "ops").second > 0 && KeyOf(pager, "resolved", "pager").second > 0;
  })) << second.out();
  std::this_thread::sleep_for(3s);
  second.Signal(SIGTERM);
  EXPECT_EQ(second.Wait(60s), 0) << second.err();
  EXPECT_EQ(ops.Events(),
            (std::vector<std::string>{"db-down/pipeline/firing", "db-down/pipeline/resolved"}));
  EXPECT_EQ(KeyOf(ops, "firing", "ops").second, 1);
  // Pager's firing, recorded with the journal's failed attempts, is a backlog: it goes out
  // collapsed into the resolved, or alone just before it if the sender took it at once.
  std::vector<std::string> pager_events = pager.Events();
  std::string pager_firing = KeyOf(pager, "firing", "pager").first;
  if (pager_firing.empty()) {
    EXPECT_EQ(pager_events, (std::vector<std::string>{"db-down/pipeline/resolved"}));
    pager_firing = pager.Bodies().at(0).value("collapsed", "");
  } else {
    EXPECT_EQ(pager_events,
              (std::vector<std::string>{"db-down/pipeline/firing", "db-down/pipeline/resolved"}));
  }
  // Same outage, same firing time: the keys differ only by the channel.
  EXPECT_EQ(pager_firing, ops_firing.substr(0, ops_firing.rfind('/')) + "/pager");
  EXPECT_EQ(db_.Scalar("SELECT string_agg(channel || ' ' || event, ', ' ORDER BY channel, id) "
                       "FROM alert_outbox"),
            "ops firing, ops resolved, pager firing, pager resolved");
  EXPECT_EQ(db_.Scalar("SELECT count(*) FROM alert_outbox WHERE delivered_at IS NULL"), "0");
  EXPECT_EQ(db_.Scalar("SELECT attempts FROM alert_outbox WHERE channel = 'ops' AND "
                       "event = 'firing'"),
            "1")
      << "the journal's one delivery, not sent again";
  EXPECT_FALSE(std::filesystem::exists(journal));
}

// The lake holds yesterday's and the day before's snapshots, never loaded: `run` compacts them,
// then audits each closed day by itself and stores the findings, and audit-discrepancy fires.
// Loaded, and audited again (by the command here: `run` would after 6 hours), both days are
// clean and the rule resolves.
TEST_F(RunLoopTest, RunAuditsClosedDaysByItselfAndTheAuditRuleFiresThenResolves) {
  const std::string before = FormatDate(SystemNow() - std::chrono::hours(48));
  const std::string yesterday = FormatDate(SystemNow() - std::chrono::hours(24));
  const std::string start = before + "T22:30:00Z";  // 24 snapshots: to yesterday 00:25
  testing::MakeLake(dir_.path() + "/lake", 1, {}, start.c_str());
  Receiver receiver;
  ASSERT_GT(receiver.port(), 0);
  WriteConfig(
      "limit = 200\nlistings-interval = 5\n",
      PipelineAlertConfig(receiver.port(), "\"audit: pipeline audit-discrepancy cooldown=0\""));
  RunProcess run(Args(), dir_.path(), "run");
  ASSERT_TRUE(
      Eventually([&] { return Contains(receiver.Events(), "audit/pipeline/firing"); }, 120s))
      << run.out();
  // Newest first, one day after a cycle; both found in the lake and not in the database.
  ASSERT_TRUE(Eventually([&] {
    return db_.Scalar(
               "SELECT count(*) FROM audit_results WHERE audited_by = 'run' AND "
               "findings_count > 0 AND 'not_loaded' = ANY(kinds) AND day IN ('" +
               before + "', '" + yesterday + "')") == "2";
  })) << run.out();
  EXPECT_NE(run.out().find("\"msg\":\"audit: closed day audited\""), std::string::npos);

  ReprocessOptions reprocess;
  reprocess.database_url = db_.url();
  reprocess.lake_url = dir_.path() + "/lake";
  reprocess.from_date = before;
  reprocess.to_date = yesterday;
  StopSignal stop;
  ASSERT_OK(RunReprocess(reprocess, stop));
  AuditOptions audit;
  audit.database_url = db_.url();
  audit.lake_url = dir_.path() + "/lake";
  audit.from_date = before;
  audit.to_date = yesterday;
  audit.store_as = "audit";
  auto report = RunAudit(audit, stop);  // the lake's own 5-minute schedule
  ASSERT_OK(report);
  EXPECT_TRUE(report->clean()) << report->ToText();
  EXPECT_EQ(report->store_error, "");
  ASSERT_TRUE(Eventually([&] { return receiver.Events().size() == 2; })) << run.out();
  std::this_thread::sleep_for(2s);
  run.Signal(SIGTERM);
  EXPECT_EQ(run.Wait(60s), 0) << run.err();
  EXPECT_EQ(receiver.Events(),
            (std::vector<std::string>{"audit/pipeline/firing", "audit/pipeline/resolved"}));
  EXPECT_EQ(db_.Scalar("SELECT count(*) FROM audit_results WHERE findings_count > 0"), "0");
}

}  // namespace
}  // namespace coinlake::pipeline
