// Helpers shared by the tests: fixtures, a private database per test, running the binary.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "warehouse/db.h"

namespace coinlake::testing {

// Reads tests/fixtures/cmc/<name> (the real CMC responses, tests/fixtures/cmc/SOURCES.md).
std::string ReadFixture(const std::string& name);
std::string ReadFile(const std::string& path);

// A fresh, empty database on the test server (COINLAKE_TEST_DATABASE_URL, set by scripts/test),
// dropped when the object goes. The test fails, never skips, when the server is not configured.
class TestDatabase {
 public:
  TestDatabase();
  ~TestDatabase();
  const std::string& url() const { return url_; }
  // A new connection to this database.
  std::unique_ptr<warehouse::Connection> Connect() const;
  // Runs the embedded migrations.
  void Migrate() const;
  // First column of the first row of `sql`, as text ("" for NULL).
  std::string Scalar(const std::string& sql) const;
  // Makes the migrated schema look as it was before migration `version`: runs `undo_sql`
  // (dropping what that migration added) and forgets it and every later one in
  // schema_migrations. What a dashboard upgraded ahead of the ETL host's migration meets.
  void SchemaBefore(int version, const std::string& undo_sql) const;
  // The URL of this database for a new login role in `group` (coinlake_writer or
  // coinlake_reader, made by Migrate): what the ETL or the dashboard signs in as. The role is
  // dropped with the database.
  std::string LoginUrl(const std::string& group);

 private:
  std::string admin_url_;
  std::string name_;
  std::string url_;
  std::vector<std::string> logins_;
};

// A temporary folder, removed with its contents when the object goes.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// A loopback port held without listening: a connection to it is refused, as by a receiver that
// is down, and no other process can take the port meanwhile. (A port found free, closed and
// bound again later is not safe: cpp-httplib binds with SO_REUSEPORT, so another test's server
// may share it and answer in its place.) Release() just before binding the real receiver.
class RefusingPort {
 public:
  RefusingPort();
  ~RefusingPort() { Release(); }
  RefusingPort(const RefusingPort&) = delete;
  RefusingPort& operator=(const RefusingPort&) = delete;
  int port() const { return port_; }
  void Release();

 private:
  int fd_ = -1;
  int port_ = 0;
};

struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs a shell command and captures its output (stderr via a temporary file).
CommandResult RunCommand(const std::string& command);

}  // namespace coinlake::testing
