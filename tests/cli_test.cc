// The coinlake binary as a user meets it: help, version, and one clear line per misuse.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/test_support.h"

namespace coinlake {
namespace {

using coinlake::testing::RunCommand;

const std::string kBinary = COINLAKE_BINARY;

TEST(CliTest, HelpListsEveryCommandOfTheContract) {
  auto r = RunCommand(kBinary + " --help");
  EXPECT_EQ(r.exit_code, 0);
  for (const char* command :
       {"migrate", "fetch", "run", "reprocess", "audit", "inspect", "plan", "serve", "sim"}) {
    EXPECT_NE(r.out.find(std::string("  ") + command), std::string::npos) << command;
  }
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
  ExpectOneLineError("--database-url 'postgres://[bad' migrate", "bad database URL");
  ExpectOneLineError("--database-url '' migrate", "COINLAKE_DATABASE_URL");
  ExpectOneLineError("inspect /nonexistent/file.json", "cannot read");
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

TEST(CliTest, FetchWithoutKeyExplainsWhatToSet) {
  auto r = RunCommand("env -u CMC_API_KEY -u CMC_API_KEY_FILE " + kBinary +
                      " --database-url postgresql://x@127.0.0.1:1/x fetch");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("CMC_API_KEY"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace coinlake
