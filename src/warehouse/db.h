// A PostgreSQL connection (libpq) with parameterised queries, COPY and transactions.
// Every statement that takes a value takes it as a parameter; no value is spliced into SQL.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"
#include "common/time_util.h"

namespace coinlake::aws {
class RdsAuthTokenGenerator;
}  // namespace coinlake::aws

namespace coinlake::warehouse {

// A query result as text, enough for the few values coinlake reads back.
class Rows {
 public:
  Rows() = default;
  Rows(std::vector<std::string> columns, std::vector<std::vector<std::optional<std::string>>> data)
      : columns_(std::move(columns)), data_(std::move(data)) {}
  size_t size() const { return data_.size(); }
  bool empty() const { return data_.empty(); }
  const std::vector<std::string>& columns() const { return columns_; }
  // NULL is std::nullopt.
  const std::optional<std::string>& at(size_t row, size_t col) const { return data_[row][col]; }
  std::string text(size_t row, size_t col) const { return at(row, col).value_or(""); }
  // Typed reads; std::nullopt for NULL (and for text that is not of the type).
  std::optional<int64_t> integer(size_t row, size_t col) const;
  std::optional<double> number(size_t row, size_t col) const;
  // A timestamptz as PostgreSQL prints it in the UTC session every Connection sets.
  std::optional<TimePoint> time(size_t row, size_t col) const;

 private:
  std::vector<std::string> columns_;
  std::vector<std::vector<std::optional<std::string>>> data_;
};

using Param = std::optional<std::string>;  // std::nullopt binds SQL NULL

// A query result read in place from libpq's memory, without a copy per value (hot paths).
class Result {
 public:
  Result(Result&& other) noexcept : res_(std::exchange(other.res_, nullptr)) {}
  Result& operator=(Result&& other) noexcept;
  Result(const Result&) = delete;
  Result& operator=(const Result&) = delete;
  ~Result();
  int rows() const;
  int columns() const;
  bool null(int row, int col) const;
  // The value as text, "" for NULL; valid while the Result lives.
  std::string_view value(int row, int col) const;

 private:
  friend class Connection;
  explicit Result(void* res) : res_(res) {}
  void* res_ = nullptr;  // PGresult*, kept opaque so libpq stays out of this header
};

class Connection {
 public:
  // Connects with a libpq URI or conninfo string. A refused or timed-out connection is
  // UNAVAILABLE; a bad URL or refused password is INVALID_ARGUMENT / PERMISSION_DENIED.
  // Unless the URL says otherwise: connect_timeout 10 s, TCP keepalives (30 s idle, 3 probes
  // 10 s apart) and tcp_user_timeout 60 s, so no call waits forever on a vanished server.
  static StatusOr<std::unique_ptr<Connection>> Open(const std::string& url);
  ~Connection();

  // With no parameters `sql` may hold several statements; with parameters, exactly one.
  // Limits every later call on this connection to `limit` (0, the default: no limit). A call
  // still waiting then has its connection dropped and returns UNAVAILABLE (call_deadline.h): for
  // the unattended loop, which must never wait forever on a server that stopped answering.
  void SetCallTimeout(std::chrono::milliseconds limit);

  Status Execute(std::string_view sql, const std::vector<Param>& params = {});
  StatusOr<Rows> Query(std::string_view sql, const std::vector<Param>& params = {});

  // Prepares `sql` as the named statement on this connection, once: later calls with a name
  // already prepared here return at once (so give each distinct statement its own name).
  Status Prepare(const std::string& name, std::string_view sql);
  // Runs a statement prepared by Prepare on this connection (its plan is cached by the server).
  StatusOr<Result> ExecPrepared(const std::string& name, const std::vector<Param>& params = {});

  // Runs `COPY ... FROM STDIN` with the given data (text or CSV per the statement).
  Status CopyIn(std::string_view copy_sql, std::string_view data);

  // Best effort: a failed rollback leaves a broken connection the caller drops anyway.
  // Transactions are Transaction objects (below); this is for them and for the loop's recovery.
  void Rollback();

  // False once the server went away; the caller should reconnect.
  bool healthy() const;

  // Asks the server to cancel the statement this connection's backend is running, if any: a
  // call cut by its deadline returns while the backend may still be running it, and would hold
  // its locks and a server process until it ends. libpq's PQcancel, over a short connection of
  // its own, so it works once this one is broken too. It blocks until the server has taken the
  // request, with no time limit of its own: call it where a wait stalls nothing else.
  // UNAVAILABLE if the request could not be delivered.
  Status CancelStatement();

  // The schema version (newest applied migration) last read on this connection and when:
  // schema_version.h's memo, so a long-lived connection reads it seldom.
  struct SchemaSeen {
    int version = -1;
    std::chrono::steady_clock::time_point read_at{};
  };
  SchemaSeen& schema_seen();

 private:
  struct Impl;
  explicit Connection(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// A transaction on a connection: BEGIN when made, COMMIT by Commit(), and ROLLBACK when it goes
// out of scope uncommitted (an error returned early, a value it decided not to keep), so no
// path leaves a connection inside a transaction.
class Transaction {
 public:
  // BEGIN, then `setup` (statements that belong at its start: SET LOCAL, an advisory lock).
  static StatusOr<Transaction> Begin(Connection& db, std::string_view setup = {});
  Transaction(Transaction&& other) noexcept : db_(std::exchange(other.db_, nullptr)) {}
  Transaction& operator=(Transaction&&) = delete;
  ~Transaction();
  // COMMIT. Afterwards (also when it fails: PostgreSQL then ends the transaction) the
  // destructor does nothing.
  Status Commit();

 private:
  explicit Transaction(Connection* db) : db_(db) {}
  Connection* db_;  // nullptr once committed or moved from
};

// IAM database authentication (RDS, docs/deploy.md): while a generator is set, every connection
// opened afterwards (loader, dashboard pool, reconnects) gets a freshly made token as its
// password, whatever the URL or a password file says. The URL must then name the host, the user
// and sslmode=verify-full or verify-ca (a token goes only to a verified server, over TLS);
// Open refuses it with INVALID_ARGUMENT otherwise. nullptr turns it off. Thread-safe.
void UseIamAuthentication(std::shared_ptr<aws::RdsAuthTokenGenerator> generator);

// Removes the password from a connection URL or conninfo, for messages.
std::string RedactDatabaseUrl(std::string_view url);

}  // namespace coinlake::warehouse
