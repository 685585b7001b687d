// The coinlake binary as a user meets it: help, version, and one clear line per misuse.
#include <gtest/gtest.h>
#include <httplib.h>

#include <fstream>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "alerts/webhook.h"
#include "tests/test_support.h"

namespace coinlake {
namespace {

using coinlake::testing::RunCommand;

const std::string kBinary = COINLAKE_BINARY;

TEST(CliTest, HelpListsEveryCommandOfTheContract) {
  auto r = RunCommand(kBinary + " --help");
  EXPECT_EQ(r.exit_code, 0);
  for (const char* command : {"migrate", "fetch", "run", "reprocess", "audit", "retention",
                              "inspect", "plan", "alerts", "serve", "sim"}) {
    EXPECT_NE(r.out.find(std::string("  ") + command), std::string::npos) << command;
    // Each command's help points to the options every command shares.
    auto own = RunCommand(kBinary + " " + command + " --help");
    EXPECT_EQ(own.exit_code, 0) << command;
    EXPECT_NE(own.out.find("coinlake --help lists them"), std::string::npos) << own.out;
  }
  // ... and they work after the command too.
  auto after = RunCommand(kBinary + " migrate --database-url ''");
  EXPECT_NE(after.err.find("COINLAKE_DATABASE_URL"), std::string::npos) << after.err;
}

TEST(CliTest, Version) {
  auto r = RunCommand(kBinary + " --version");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, std::string("coinlake ") + COINLAKE_VERSION + "\n");
}

// Misuse gets exactly one line on stderr and a non-zero exit.
void ExpectOneLineError(const std::string& args, const std::string& needle) {
  auto r = RunCommand(kBinary + " " + args);
  EXPECT_NE(r.exit_code, 0) << args;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << args << "\n" << r.err;
  EXPECT_NE(r.err.find(needle), std::string::npos) << args << "\n" << r.err;
  EXPECT_EQ(r.out, "") << args;
}

TEST(CliTest, MisuseIsOneClearLine) {
  ExpectOneLineError("--frobnicate migrate", "--frobnicate");
  ExpectOneLineError("migrate --frobnicate", "--frobnicate");
  ExpectOneLineError("", "subcommand");
  ExpectOneLineError("teleport", "teleport");
  ExpectOneLineError("serve --port 99999", "port");
  ExpectOneLineError(
      "--database-url 'postgresql://u:hunter22@127.0.0.1:1/x?connect_timeout=1' migrate",
      "cannot connect");
  auto refused = RunCommand(kBinary + " --database-url 'postgresql://u@127.0.0.1:1/x' migrate");
  EXPECT_EQ(refused.err.find('\t'), std::string::npos) << refused.err;
  ExpectOneLineError("--database-url 'postgres://[bad' migrate", "bad database URL");
  ExpectOneLineError("--database-url '' migrate", "COINLAKE_DATABASE_URL");
  ExpectOneLineError("inspect /nonexistent/file.json", "No such file or directory");
  ExpectOneLineError("inspect /tmp", "is a directory");
  coinlake::testing::TempDir dir;
  RunCommand("echo '[1, 2]' > " + dir.path() + "/array.json");
  ExpectOneLineError("inspect " + dir.path() + "/array.json", "not a JSON object");
  // Dates are checked before anything else (no database or lake is needed to refuse them).
  for (const char* args : {"reprocess --from notadate", "reprocess --to 2026-11-31",
                           "audit --from 2026-13-45", "audit --to 26-11-01"}) {
    ExpectOneLineError(args, "YYYY-MM-DD");
    EXPECT_EQ(RunCommand(kBinary + " " + args).exit_code, 2) << args;
  }
  // A mistyped key in the configuration file is named as such, not as a parse failure.
  RunCommand("printf '[run]\\nlisting-interval = 20\\n' > " + dir.path() + "/typo.toml");
  ExpectOneLineError("--config " + dir.path() + "/typo.toml run",
                     "unknown option 'listing-interval' in [run]");
  // A retention that is not 0 or a number of days is refused as such, wherever it comes from.
  for (const char* args :
       {"retention --quotes-retention-days 40000", "--quotes-retention-days -1 retention",
        "--quotes-retention-days 90d audit"}) {
    ExpectOneLineError(args, "quotes-retention-days must be 0 (keep quotes forever) or 1..36500");
    EXPECT_EQ(RunCommand(kBinary + " " + args).exit_code, 2) << args;
  }
  RunCommand("printf 'quotes-retention-days = \"ninety\"\n' > " + dir.path() + "/retention.toml");
  ExpectOneLineError("--config " + dir.path() + "/retention.toml retention", "'ninety'");
  ExpectOneLineError("reprocess --from 2026-11-30 --to 2026-11-01", "is after --to");
  ExpectOneLineError("audit --from 2026-11-30 --to 2026-11-01", "is after --to");
}

TEST(CliTest, PasswordsNeverReachTheTerminal) {
  auto r = RunCommand(
      kBinary +
      " --database-url 'postgresql://u:hunter22@127.0.0.1:1/x?connect_timeout=1' migrate");
  EXPECT_EQ(r.err.find("hunter22"), std::string::npos) << r.err;
  EXPECT_EQ(r.out.find("hunter22"), std::string::npos) << r.out;
}

TEST(CliTest, InspectPrintsRowsAndRejectsBadInput) {
  std::string fixture = std::string(COINLAKE_FIXTURES_DIR) +
                        "/listings_latest_v1_limit2_raw_underwater-cmc_2026-09-29.json";
  auto ok = RunCommand(kBinary + " inspect " + fixture);
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_EQ(std::count(ok.out.begin(), ok.out.end(), '\n'), 2);
  auto first = nlohmann::json::parse(ok.out.substr(0, ok.out.find('\n')));
  EXPECT_EQ(first["cmc_id"], 1);
  EXPECT_EQ(first["symbol"], "BTC");

  coinlake::testing::TempDir dir;
  std::string bad = dir.path() + "/bad.json";
  RunCommand("head -c 500 " + fixture + " > " + bad);
  auto r = RunCommand(kBinary + " inspect " + bad);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_EQ(r.out, "");
}

// Every payload kind, plain or gzip'd, recorder envelopes unwrapped; one row per line.
TEST(CliTest, InspectDetectsEveryPayloadKind) {
  const std::string dir = COINLAKE_FIXTURES_DIR;
  const std::pair<const char*, const char*> cases[] = {
      {"quotes_latest_v1_by_symbol_BTC_ETH_consensus-cmc_2026-09-25.json", "quotes"},
      {"quotes_latest_v2_by_symbol_BTC_cmc-rs_2022-06-16.json", "quotes"},
      {"quotes_historical_v1_btc_daily_underwater-cmc_2026-09-29.json", "quotes_historical"},
      {"global_metrics_quotes_latest_v1_underwater-cmc_2026-09-29.json", "global_metrics"},
      {"key_info_v1_consensus-cmc_2026-09-27.json", "key_info"},
      {"map_v1_symbol_BTC_PAXG_recorded_second-opinion_2026-09-24.json", "map"},
      {"listings_latest_v1_top100_duedill_2025-02-08.json", "listings"},
  };
  coinlake::testing::TempDir tmp;
  for (const auto& [file, kind] : cases) {
    std::string gz = tmp.path() + "/" + file + ".gz";
    RunCommand("gzip -c " + dir + "/" + file + " > " + gz);
    for (const std::string& path : {dir + "/" + file, gz}) {
      auto r = RunCommand(kBinary + " inspect " + path);
      EXPECT_EQ(r.exit_code, 0) << path << "\n" << r.err;
      ASSERT_FALSE(r.out.empty()) << path;
      std::istringstream lines(r.out);
      std::string line;
      while (std::getline(lines, line)) {
        auto row = nlohmann::json::parse(line);
        EXPECT_EQ(row["kind"], kind) << path;
      }
    }
  }
  auto map = RunCommand(kBinary + " inspect " + dir +
                        "/map_v1_symbol_BTC_PAXG_recorded_second-opinion_2026-09-24.json");
  EXPECT_EQ(std::count(map.out.begin(), map.out.end(), '\n'), 14);
}

TEST(CliTest, InspectRejectsErrorBodiesAndGarbageWithOneLine) {
  coinlake::testing::TempDir tmp;
  std::string dir = COINLAKE_FIXTURES_DIR;
  std::string garbage = tmp.path() + "/garbage.gz";
  RunCommand("printf '\\037\\213not really gzip' > " + garbage);
  std::string html = tmp.path() + "/html.json";
  RunCommand("printf '<html>502 Bad Gateway</html>' > " + html);
  for (const std::string& path :
       {dir + "/error_403_1006_v2_market-pairs_recorded_second-opinion_2026-09-24.json", garbage,
        html}) {
    auto r = RunCommand(kBinary + " inspect " + path);
    EXPECT_EQ(r.exit_code, 2) << path;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << path << "\n" << r.err;
    EXPECT_EQ(r.out, "") << path;
  }
  auto error =
      RunCommand(kBinary + " inspect " + dir +
                 "/error_403_1006_v2_market-pairs_recorded_second-opinion_2026-09-24.json");
  EXPECT_NE(error.err.find("1006"), std::string::npos) << error.err;
}

TEST(CliTest, PlanPrintsCostsAndWarnsBeyondThePlan) {
  auto ok = RunCommand("env -u CMC_API_KEY -u CMC_API_KEY_FILE " + kBinary + " plan");
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_NE(ok.out.find("credits / month"), std::string::npos) << ok.out;
  EXPECT_NE(ok.out.find("15000"), std::string::npos) << ok.out;  // the free plan by default
  EXPECT_NE(ok.out.find("S3 storage"), std::string::npos) << ok.out;
  auto over = RunCommand("env -u CMC_API_KEY -u CMC_API_KEY_FILE " + kBinary +
                         " plan --limit 5000 --interval 60");
  EXPECT_EQ(over.exit_code, 1) << over.err;
  EXPECT_NE(over.err.find("credits a month"), std::string::npos) << over.err;
  auto paid = RunCommand("env -u CMC_API_KEY -u CMC_API_KEY_FILE " + kBinary +
                         " plan --limit 5000 --interval 60 --credits-per-month 2000000");
  EXPECT_EQ(paid.exit_code, 0) << paid.err;
}

TEST(CliTest, FetchWithoutKeyExplainsWhatToSet) {
  auto r = RunCommand("env -u CMC_API_KEY -u CMC_API_KEY_FILE " + kBinary +
                      " --database-url postgresql://x@127.0.0.1:1/x fetch");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("CMC_API_KEY"), std::string::npos) << r.err;
}

// `alerts test` through a channel of another kind: a Slack channel whose webhook URL (a secret)
// is in a file. The service gets Slack's JSON with the test line; the URL shows nowhere.
TEST(CliTest, AlertsTestWorksForAChannelOfAnyKind) {
  httplib::Server slack;
  std::mutex mu;
  std::vector<httplib::Request> got;
  slack.Post(R"(/services/.*)", [&](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard lock(mu);
    got.push_back(req);
    res.set_content("ok", "text/plain");
  });
  int port = slack.bind_to_any_port("127.0.0.1");
  ASSERT_GT(port, 0);
  std::thread thread([&] { slack.listen_after_bind(); });
  while (!slack.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  coinlake::testing::TempDir dir;
  const std::string url =
      "http://127.0.0.1:" + std::to_string(port) + "/services/T01/B02/SlackSecretPart42";
  std::ofstream(dir.path() + "/slack.secret") << url << "\n";
  const std::string config = dir.path() + "/coinlake.toml";
  std::ofstream(config) << "alert-channel = \"team: slack secret-file=" << dir.path()
                        << "/slack.secret\"\n";
  auto ok = RunCommand(kBinary + " --config " + config + " alerts test team");
  slack.stop();
  thread.join();
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_EQ(ok.out, "channel team: HTTP 200 ok\n");
  EXPECT_EQ((ok.out + ok.err).find("SlackSecretPart42"), std::string::npos);
  ASSERT_EQ(got.size(), 1u);
  std::string text = nlohmann::json::parse(got[0].body)["text"];
  EXPECT_TRUE(text.starts_with("TEST: coinlake alerts test: this channel works (channel team, at "))
      << text;
}

// `alerts test CHANNEL` through the channel code the sender uses: the channel and rules come from
// the configuration file, the request is signed with the secret from its file, the receiver's
// answer is printed, and anything but a 2xx is exit 1. The secret shows nowhere.
TEST(CliTest, AlertsTestSendsASignedNotificationAndReportsTheAnswer) {
  httplib::Server server;
  std::mutex mu;
  std::vector<httplib::Request> got;
  int status = 200;
  server.Post("/hook", [&](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard lock(mu);
    got.push_back(req);
    res.status = status;
    res.set_content(status == 200 ? "{\"ok\":true}" : "down for\nmaintenance", "text/plain");
  });
  int port = server.bind_to_any_port("127.0.0.1");
  ASSERT_GT(port, 0);
  std::thread thread([&] { server.listen_after_bind(); });
  // Stops the receiver however the test ends (an ASSERT returns early).
  auto stop_receiver = [&] {
    if (!thread.joinable()) return;
    server.stop();
    thread.join();
  };
  struct AtExit {
    std::function<void()> f;
    ~AtExit() { f(); }
  } at_exit{stop_receiver};
  while (!server.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));

  coinlake::testing::TempDir dir;
  const std::string secret = "s3cr3t-hook-value";
  std::ofstream(dir.path() + "/hook.secret") << secret << "\n";
  const std::string config = dir.path() + "/coinlake.toml";
  std::ofstream(config) << "alert-webhook = \"ops: http://127.0.0.1:" << port
                        << "/hook secret-file=" << dir.path() << "/hook.secret timeout=3s\"\n"
                        << "alert-rule = [\"btc: price BTC above 100000 USD cooldown=1h\",\n"
                        << "              \"eth: change 24h ETH below -5 channels=ops\"]\n";
  const std::string test = kBinary + " --config " + config + " alerts test ";

  auto ok = RunCommand(test + "ops");
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_EQ(ok.out, "channel ops: HTTP 200 {\"ok\":true}\n");
  {
    std::lock_guard lock(mu);
    ASSERT_EQ(got.size(), 1u);
    auto body = nlohmann::json::parse(got[0].body);
    EXPECT_EQ(body["event"], "test");
    EXPECT_EQ(body["channel"], "ops");
    EXPECT_EQ(got[0].get_header_value("Idempotency-Key"), body["idempotency_key"]);
    EXPECT_EQ(got[0].get_header_value("X-Coinlake-Signature"),
              "sha256=" + alerts::SignatureOf(secret, got[0].body));
    EXPECT_EQ(got[0].get_header_value("Content-Type"), "application/json");
    status = 503;
  }
  auto refused = RunCommand(test + "ops");
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_EQ(refused.out, "channel ops: HTTP 503 down for maintenance\n");
  EXPECT_NE(refused.err.find("answered HTTP 503"), std::string::npos) << refused.err;
  stop_receiver();
  auto down = RunCommand(test + "ops");
  EXPECT_EQ(down.exit_code, 1);
  EXPECT_NE(down.err.find("Couldn't connect"), std::string::npos) << down.err;
  for (const auto& r : {ok, refused, down}) {
    EXPECT_EQ((r.out + r.err).find(secret), std::string::npos) << r.out << r.err;
  }

  ExpectOneLineError("--config " + config + " alerts test pager",
                     "no channel named 'pager' (configured: ops)");
  EXPECT_EQ(RunCommand(test + "pager").exit_code, 2);
  // A bad rule is refused at start with one line naming it, by every command that reads them.
  std::ofstream(dir.path() + "/bad.toml")
      << "alert-webhook = \"ops: http://127.0.0.1:1/hook secret-env=X\"\n"
      << "alert-rule = \"btc: price BTC over 100000\"\n";
  ExpectOneLineError("--config " + dir.path() + "/bad.toml alerts test ops",
                     "alert-rule btc: expected 'above' or 'below' after the coin, not 'over'");
  // Rules split by another option: the parser would keep the first and drop the second without a
  // word, so the file is refused, naming the line. Together, or in one array, both are read.
  std::ofstream(dir.path() + "/split.toml")
      << "alert-rule = \"btc: price BTC above 100000\"\n"
      << "alert-webhook = \"ops: http://127.0.0.1:1/hook secret-env=X\"\n"
      << "# a comment\n"
      << "alert-rule = \"eth: price ETH above 100000\"\n";
  ExpectOneLineError("--config " + dir.path() + "/split.toml alerts test ops",
                     "split.toml line 4: alert-rule is set again after other options (first at "
                     "line 1)");
  std::ofstream(dir.path() + "/together.toml")
      << "alert-rule = \"btc: price BTC above 100000\"\n"
      << "\n# a comment\n"
      << "alert-rule = \"eth: price ETH above 100000 channels=pager\"\n"
      << "alert-webhook = \"ops: http://127.0.0.1:1/hook secret-env=X\"\n";
  // Both rules were read: the second one's unknown channel is what is refused.
  ExpectOneLineError("--config " + dir.path() + "/together.toml alerts test ops",
                     "alert-rule eth: channel 'pager' is not configured");
  auto fetch = RunCommand("CMC_API_KEY=k " + kBinary + " --config " + dir.path() +
                          "/bad.toml --database-url postgresql://u@127.0.0.1:1/x fetch");
  EXPECT_EQ(fetch.exit_code, 2);
  EXPECT_NE(fetch.err.find("alert-rule btc"), std::string::npos) << fetch.err;
}

}  // namespace
}  // namespace coinlake
