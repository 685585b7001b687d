#include "tests/test_support.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "tests/status_matchers.h"
#include "warehouse/migrations.h"

namespace coinlake::testing {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot read " << path;
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::string ReadFixture(const std::string& name) {
  return ReadFile(std::string(COINLAKE_FIXTURES_DIR) + "/" + name);
}

namespace {

std::string WithDatabase(const std::string& url, const std::string& db) {
  // URLs from scripts/test look like postgresql://user@host:port/postgres?...
  auto scheme = url.find("://");
  auto slash = url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  auto query = url.find('?');
  if (slash == std::string::npos) return url + "/" + db;
  std::string tail = query == std::string::npos ? "" : url.substr(query);
  return url.substr(0, slash + 1) + db + tail;
}

}  // namespace

TestDatabase::TestDatabase() {
  const char* admin = std::getenv("COINLAKE_TEST_DATABASE_URL");
  if (admin == nullptr || *admin == '\0') {
    ADD_FAILURE() << "COINLAKE_TEST_DATABASE_URL is not set: run the tests through scripts/test, "
                     "which starts a private PostgreSQL";
    return;
  }
  admin_url_ = admin;
  std::random_device rd;
  name_ = "coinlake_test_" + std::to_string(::getpid()) + "_" + std::to_string(rd() % 1000000);
  auto conn = warehouse::Connection::Open(admin_url_);
  EXPECT_OK(conn);
  if (!conn.ok()) return;
  Status created = (*conn)->Execute("CREATE DATABASE " + name_);
  EXPECT_OK(created);
  url_ = WithDatabase(admin_url_, name_);
}

TestDatabase::~TestDatabase() {
  if (url_.empty()) return;
  auto conn = warehouse::Connection::Open(admin_url_);
  if (!conn.ok()) return;
  (void)(*conn)->Execute("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
  for (const std::string& login : logins_) (void)(*conn)->Execute("DROP ROLE IF EXISTS " + login);
}

std::string TestDatabase::LoginUrl(const std::string& group) {
  // Roles are cluster-wide: named after this database, so parallel tests never share one.
  std::string login = name_ + "_" + std::to_string(logins_.size());
  Scalar("CREATE ROLE " + login + " LOGIN IN ROLE " + group);
  logins_.push_back(login);
  auto at = url_.find('@');
  auto scheme = url_.find("://");
  EXPECT_NE(at, std::string::npos) << "the test URL names no user: " << url_;
  return url_.substr(0, scheme + 3) + login + url_.substr(at);
}

std::unique_ptr<warehouse::Connection> TestDatabase::Connect() const {
  auto conn = warehouse::Connection::Open(url_);
  EXPECT_OK(conn);
  return conn.ok() ? std::move(conn).value() : nullptr;
}

void TestDatabase::Migrate() const {
  auto conn = Connect();
  ASSERT_NE(conn, nullptr);
  auto result = warehouse::Migrate(*conn, warehouse::EmbeddedMigrations());
  ASSERT_OK(result);
}

std::string TestDatabase::Scalar(const std::string& sql) const {
  auto conn = Connect();
  if (!conn) return "";
  auto rows = conn->Query(sql);
  EXPECT_OK(rows);
  if (!rows.ok() || rows->empty()) return "";
  return rows->text(0, 0);
}

void TestDatabase::SchemaBefore(int version, const std::string& undo_sql) const {
  auto conn = Connect();
  ASSERT_NE(conn, nullptr);
  EXPECT_OK(conn->Execute(undo_sql));
  EXPECT_OK(conn->Execute("DELETE FROM schema_migrations WHERE version >= $1",
                          {std::to_string(version)}));
}

TempDir::TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "coinlake-test-XXXXXX").string();
  char* made = ::mkdtemp(pattern.data());
  EXPECT_NE(made, nullptr);
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

CommandResult RunCommand(const std::string& command) {
  TempDir dir;
  std::string err_path = dir.path() + "/stderr";
  CommandResult result;
  FILE* pipe = ::popen((command + " 2>" + err_path).c_str(), "r");
  if (pipe == nullptr) return result;
  char buffer[4096];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) result.out.append(buffer, n);
  int status = ::pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  result.err = ReadFile(err_path);
  return result;
}

RefusingPort::RefusingPort() {
  fd_ = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  if (fd_ < 0 || bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    ADD_FAILURE() << "cannot hold a loopback port";
    return;
  }
  port_ = ntohs(address.sin_port);
}

void RefusingPort::Release() {
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
}

}  // namespace coinlake::testing
