#include "warehouse/db.h"

#include <fmt/format.h>
#include <libpq-fe.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <chrono>
#include <mutex>
#include <unordered_set>

#include "aws/rds_auth_token.h"
#include "common/crash_point.h"
#include "common/log.h"
#include "warehouse/call_deadline.h"

namespace coinlake::warehouse {
namespace {

// Server notices (NOTICE, WARNING, ...) go to coinlake's JSON log instead of libpq's default,
// a bare line on stderr: "already exists, skipping" is routine, a WARNING is worth a look.
void LogServerNotice(void* /*unused*/, const PGresult* notice) {
  const char* severity = PQresultErrorField(notice, PG_DIAG_SEVERITY_NONLOCALIZED);
  const char* message = PQresultErrorField(notice, PG_DIAG_MESSAGE_PRIMARY);
  const char* sqlstate = PQresultErrorField(notice, PG_DIAG_SQLSTATE);
  nlohmann::json fields = {{"severity", severity ? severity : "NOTICE"},
                           {"sqlstate", sqlstate ? sqlstate : ""}};
  std::string text = fmt::format("database notice: {}", log::Redact(message ? message : ""));
  if (severity != nullptr && std::string_view(severity) == "WARNING") {
    log::Warn(text, fields);
  } else {
    log::Debug(text, fields);
  }
}

// Classifies a failed statement by SQLSTATE: connection problems are transient, the rest is not.
Status StatementError(PGconn* conn, PGresult* res, std::string_view what) {
  const char* state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
  std::string message = res ? PQresultErrorMessage(res) : PQerrorMessage(conn);
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
  std::string text = fmt::format("{}: {}", what, log::Redact(message));
  if (PQstatus(conn) != CONNECTION_OK) return UnavailableError(text);
  if (state != nullptr) {
    std::string_view s(state);
    if (s.starts_with("08") || s.starts_with("57P") || s == "40001" || s == "40P01" ||
        s == "53300") {
      return UnavailableError(text);  // connection, shutdown, serialization, deadlock, too many
    }
    // Cancelled: by statement_timeout, or a cancel request. The statement used up its time.
    if (s == "57014") return ResourceExhaustedError(text);
    if (s.starts_with("42501")) return PermissionDeniedError(text);
    if (s == "23505" || s == "42710") return AlreadyExistsError(text);  // unique, duplicate object
  }
  return InternalError(text);
}

std::mutex iam_mu;
std::shared_ptr<aws::RdsAuthTokenGenerator> iam_generator;  // guarded by iam_mu

std::shared_ptr<aws::RdsAuthTokenGenerator> IamGenerator() {
  std::lock_guard lock(iam_mu);
  return iam_generator;
}

// A fresh RDS token for the connection the URL describes. The token is never registered with
// log::RegisterSecret (a new one per connection would grow that list for ever) and never enters a
// message: it travels as its own libpq keyword, not in the URL that messages quote.
StatusOr<std::string> IamPassword(aws::RdsAuthTokenGenerator& generator, const std::string& url,
                                  const std::string& host, const std::string& port,
                                  const std::string& user, const std::string& sslmode) {
  auto refuse = [&](std::string_view why) {
    return InvalidArgumentError(
        fmt::format("IAM database authentication for '{}': {}", RedactDatabaseUrl(url), why));
  };
  // Not `require`: it encrypts but does not check who answers, and whoever answers receives a
  // password that lets them in for 15 minutes.
  if (sslmode != "verify-full" && sslmode != "verify-ca") {
    return refuse(
        "the URL must set sslmode=verify-full (or verify-ca): the token is a password and must "
        "go only to a server whose certificate was verified");
  }
  if (host.empty() || host.starts_with('/') || host.find(',') != std::string::npos) {
    return refuse("the URL must name one TCP host (the token is signed for it)");
  }
  if (user.empty()) return refuse("the URL must name the database user");
  int port_number = 5432;
  if (!port.empty()) {
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), port_number);
    if (ec != std::errc() || end != port.data() + port.size() || port_number <= 0) {
      return refuse("bad port");
    }
  }
  auto token = generator.Generate(host, port_number, user);
  if (!token.ok()) {
    return Status(token.status().code(),
                  fmt::format("IAM database authentication: {}", token.status().message()));
  }
  return token;
}

// The whole text as a T, or nullopt (also for NULL).
template <typename T>
std::optional<T> Parse(const std::optional<std::string>& text) {
  T value{};
  if (!text) return std::nullopt;
  auto [end, error] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (error != std::errc() || end != text->data() + text->size()) return std::nullopt;
  return value;
}

}  // namespace

void UseIamAuthentication(std::shared_ptr<aws::RdsAuthTokenGenerator> generator) {
  std::lock_guard lock(iam_mu);
  iam_generator = std::move(generator);
}

std::optional<int64_t> Rows::integer(size_t row, size_t col) const {
  return Parse<int64_t>(at(row, col));
}

std::optional<double> Rows::number(size_t row, size_t col) const {
  return Parse<double>(at(row, col));
}

std::optional<TimePoint> Rows::time(size_t row, size_t col) const {
  const std::optional<std::string>& text = at(row, col);
  if (!text) return std::nullopt;
  // "2026-09-29 03:55:03.728+00": the zone is always +00 here, a form ParseIso8601 does not take.
  auto parsed = ParseIso8601(std::string_view(*text).substr(0, text->find('+')));
  if (!parsed.ok()) return std::nullopt;
  return *parsed;
}

struct Connection::Impl {
  PGconn* conn = nullptr;
  PGcancel* cancel = nullptr;                 // taken at connect: libpq has none once broken
  std::unordered_set<std::string> prepared;   // statement names prepared on this connection
  std::chrono::milliseconds call_timeout{0};  // SetCallTimeout; 0: none
  SchemaSeen schema_seen;

  CallDeadline ArmDeadline() const { return CallDeadline(PQsocket(conn), call_timeout); }
  // The error of a call cut by its deadline says so (libpq only sees a lost connection).
  Status Failed(const CallDeadline& deadline, Status error) const {
    if (!deadline.expired()) return error;
    return UnavailableError(
        fmt::format("the database did not answer within {} ms, so the connection was dropped ({})",
                    call_timeout.count(), error.message()));
  }
  ~Impl() {
    if (cancel) PQfreeCancel(cancel);
    if (conn) PQfinish(conn);
  }
};

Connection::Connection(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Connection::SchemaSeen& Connection::schema_seen() { return impl_->schema_seen; }
Connection::~Connection() = default;

// A scan rather than std::regex: libstdc++'s regex recurses per character and overflowed the
// stack on a 200 kB URL (found by fuzz/config_fuzzer.cc).
std::string RedactDatabaseUrl(std::string_view url) {
  std::string text(url);
  auto space = [&](size_t i) { return std::isspace(static_cast<unsigned char>(text[i])) != 0; };
  // postgresql://user:secret@host -> postgresql://user:***@host
  bool uri = false;
  for (std::string_view scheme : {"postgresql://", "postgres://"}) {
    if (!text.starts_with(scheme)) continue;
    uri = true;
    size_t colon = text.find_first_of(":/@", scheme.size());
    size_t at = colon != std::string::npos && text[colon] == ':' ? text.find('@', colon)
                                                                 : std::string::npos;
    if (at != std::string::npos) text.replace(colon + 1, at - colon - 1, "***");
    break;
  }
  // password=secret in a query string, or in conninfo, where spaces may surround '=' and a
  // value may be quoted ('...') and hold backslash escapes.
  constexpr std::string_view kKey = "password";
  for (size_t pos = text.find(kKey); pos != std::string::npos; pos = text.find(kKey, pos)) {
    size_t i = pos + kKey.size();
    while (i < text.size() && space(i)) ++i;
    if (i == text.size() || text[i] != '=') {
      pos += kKey.size();
      continue;
    }
    ++i;
    while (i < text.size() && space(i)) ++i;
    size_t end = i;
    if (end < text.size() && text[end] == '\'') {
      for (++end; end < text.size() && text[end] != '\''; ++end) {
        if (text[end] == '\\') ++end;
      }
      end = std::min(end + 1, text.size());
    } else {  // unquoted, up to a space, or in a URI '&'; \ escapes the next character
      // In conninfo '&' is part of the value: "password=&x" is the password "&x".
      while (end < text.size() && !(uri && text[end] == '&') && !space(end)) {
        end += text[end] == '\\' ? 2 : 1;
      }
      end = std::min(end, text.size());
    }
    text.replace(i, end - i, "***");
    pos = i + 3;
  }
  return text;
}

StatusOr<std::unique_ptr<Connection>> Connection::Open(const std::string& url) {
  if (url.empty()) {
    return InvalidArgumentError("no database URL: set COINLAKE_DATABASE_URL or --database-url");
  }
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(url.c_str(), &error);
  if (options == nullptr) {
    std::string message = error ? error : "unparsable";
    PQfreemem(error);
    while (!message.empty() && message.back() == '\n') message.pop_back();
    return InvalidArgumentError(
        fmt::format("bad database URL '{}': {}", RedactDatabaseUrl(url), message));
  }
  std::string host, port, user, sslmode;
  for (PQconninfoOption* o = options; o->keyword != nullptr; ++o) {
    std::string_view keyword(o->keyword);
    if (keyword == "password" && o->val && *o->val) log::RegisterSecret(o->val);
    if (o->val == nullptr) continue;
    if (keyword == "host") host = o->val;
    if (keyword == "port") port = o->val;
    if (keyword == "user") user = o->val;
    if (keyword == "sslmode") sslmode = o->val;
  }
  PQconninfoFree(options);
  std::string password;
  if (auto generator = IamGenerator()) {
    ASSIGN_OR_RETURN(password, IamPassword(*generator, url, host, port, user, sslmode));
  }

  // Defaults the URL may override (libpq keeps the last value of a keyword, and the URL in
  // dbname comes last): a 10 s connect timeout, and TCP keepalives plus a TCP user timeout, so
  // a server or network that vanishes mid-statement fails the call within about a minute
  // instead of the kernel's two hours.
  // An IAM token comes after the URL, so it wins over any password there.
  const char* keys[] = {"connect_timeout",  "keepalives",
                        "keepalives_idle",  "keepalives_interval",
                        "keepalives_count", "tcp_user_timeout",
                        "application_name", "dbname",
                        "password",         nullptr};
  const char* values[] = {"10",       "1",         "30",
                          "10",       "3",         "60000",
                          "coinlake", url.c_str(), password.empty() ? nullptr : password.c_str(),
                          nullptr};
  auto impl = std::make_unique<Impl>();
  impl->conn = PQconnectdbParams(keys, values, /*expand_dbname=*/1);
  if (PQstatus(impl->conn) != CONNECTION_OK) {
    std::string message = PQerrorMessage(impl->conn);
    while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) {
      message.pop_back();
    }
    // libpq indents its hint lines ("...refused\n\tIs the server running"): one line, no tab.
    std::replace(message.begin(), message.end(), '\n', ' ');
    std::erase(message, '\t');
    std::string text = fmt::format("cannot connect to the database at '{}': {}",
                                   RedactDatabaseUrl(url), log::Redact(message));
    if (message.find("password authentication failed") != std::string::npos ||
        message.find("PAM authentication failed") != std::string::npos ||  // RDS IAM
        message.find("no pg_hba.conf entry") != std::string::npos) {
      return PermissionDeniedError(text);
    }
    if (message.find("does not exist") != std::string::npos) return InvalidArgumentError(text);
    return UnavailableError(text);
  }
  PQsetNoticeReceiver(impl->conn, LogServerNotice, nullptr);
  impl->cancel = PQgetCancel(impl->conn);
  // Keep logs and COPY text in UTF-8 and UTC whatever the server's defaults are.
  PQsetClientEncoding(impl->conn, "UTF8");
  auto connection = std::unique_ptr<Connection>(new Connection(std::move(impl)));
  RETURN_IF_ERROR(connection->Execute("SET TIME ZONE 'UTC'"));
  return connection;
}

Status Connection::Execute(std::string_view sql, const std::vector<Param>& params) {
  auto rows = Query(sql, params);
  return rows.status();
}

void Connection::SetCallTimeout(std::chrono::milliseconds limit) { impl_->call_timeout = limit; }

StatusOr<Rows> Connection::Query(std::string_view sql, const std::vector<Param>& params) {
  CallDeadline deadline = impl_->ArmDeadline();
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const Param& p : params) values.push_back(p ? p->c_str() : nullptr);
  std::string statement(sql);
  // Without parameters, the simple protocol: it accepts several statements (migrations).
  PGresult* res =
      values.empty() ? PQexec(impl_->conn, statement.c_str())
                     : PQexecParams(impl_->conn, statement.c_str(), static_cast<int>(values.size()),
                                    nullptr, values.data(), nullptr, nullptr, 0);
  ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
    Status error = StatementError(impl_->conn, res, "query failed");
    PQclear(res);
    return impl_->Failed(deadline, error);
  }
  std::vector<std::string> columns;
  int ncols = PQnfields(res);
  for (int c = 0; c < ncols; ++c) columns.emplace_back(PQfname(res, c));
  std::vector<std::vector<std::optional<std::string>>> data(PQntuples(res));
  for (int r = 0; r < PQntuples(res); ++r) {
    data[r].reserve(ncols);
    for (int c = 0; c < ncols; ++c) {
      if (PQgetisnull(res, r, c)) {
        data[r].emplace_back(std::nullopt);
      } else {
        data[r].emplace_back(std::string(PQgetvalue(res, r, c), PQgetlength(res, r, c)));
      }
    }
  }
  PQclear(res);
  return Rows(std::move(columns), std::move(data));
}

Result& Result::operator=(Result&& other) noexcept {
  if (this != &other) {
    PQclear(static_cast<PGresult*>(res_));
    res_ = std::exchange(other.res_, nullptr);
  }
  return *this;
}
Result::~Result() { PQclear(static_cast<PGresult*>(res_)); }
int Result::rows() const { return PQntuples(static_cast<PGresult*>(res_)); }
int Result::columns() const { return PQnfields(static_cast<PGresult*>(res_)); }
bool Result::null(int row, int col) const {
  return PQgetisnull(static_cast<PGresult*>(res_), row, col) != 0;
}
std::string_view Result::value(int row, int col) const {
  auto* res = static_cast<PGresult*>(res_);
  return {PQgetvalue(res, row, col), static_cast<size_t>(PQgetlength(res, row, col))};
}

Status Connection::Prepare(const std::string& name, std::string_view sql) {
  if (impl_->prepared.contains(name)) return Status::Ok();
  std::string statement(sql);
  CallDeadline deadline = impl_->ArmDeadline();
  PGresult* res = PQprepare(impl_->conn, name.c_str(), statement.c_str(), 0, nullptr);
  if (PQresultStatus(res) != PGRES_COMMAND_OK) {
    Status error = StatementError(impl_->conn, res, "prepare failed");
    PQclear(res);
    return impl_->Failed(deadline, error);
  }
  PQclear(res);
  impl_->prepared.insert(name);
  return Status::Ok();
}

StatusOr<Result> Connection::ExecPrepared(const std::string& name,
                                          const std::vector<Param>& params) {
  const char* values[16];
  if (params.size() > std::size(values)) return InvalidArgumentError("too many parameters");
  for (size_t i = 0; i < params.size(); ++i) values[i] = params[i] ? params[i]->c_str() : nullptr;
  CallDeadline deadline = impl_->ArmDeadline();
  PGresult* res = PQexecPrepared(impl_->conn, name.c_str(), static_cast<int>(params.size()), values,
                                 nullptr, nullptr, 0);
  ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
    Status error = StatementError(impl_->conn, res, "query failed");
    PQclear(res);
    return impl_->Failed(deadline, error);
  }
  return Result(res);
}

Status Connection::CopyIn(std::string_view copy_sql, std::string_view data) {
  std::string statement(copy_sql);
  CallDeadline deadline = impl_->ArmDeadline();
  PGresult* res = PQexec(impl_->conn, statement.c_str());
  if (PQresultStatus(res) != PGRES_COPY_IN) {
    Status error = StatementError(impl_->conn, res, "COPY failed to start");
    PQclear(res);
    return impl_->Failed(deadline, error);
  }
  PQclear(res);
  // Send in chunks so one huge buffer never sits twice in libpq's output queue.
  constexpr size_t kChunk = 1 << 20;
  for (size_t pos = 0; pos < data.size(); pos += kChunk) {
    size_t n = std::min(kChunk, data.size() - pos);
    if (PQputCopyData(impl_->conn, data.data() + pos, static_cast<int>(n)) != 1) {
      return impl_->Failed(deadline, StatementError(impl_->conn, nullptr, "COPY data failed"));
    }
  }
  if (PQputCopyEnd(impl_->conn, nullptr) != 1) {
    return impl_->Failed(deadline, StatementError(impl_->conn, nullptr, "COPY end failed"));
  }
  Status status;
  while ((res = PQgetResult(impl_->conn)) != nullptr) {
    if (PQresultStatus(res) != PGRES_COMMAND_OK && status.ok()) {
      status = impl_->Failed(deadline, StatementError(impl_->conn, res, "COPY failed"));
    }
    PQclear(res);
  }
  // Fault injection (tests only): the loader copies inside its transaction, so dying here leaves
  // an open transaction that PostgreSQL must roll back.
  if (status.ok()) CrashPoint("mid_load");
  return status;
}

void Connection::Rollback() {
  CallDeadline deadline = impl_->ArmDeadline();
  PGresult* res = PQexec(impl_->conn, "ROLLBACK");
  PQclear(res);
}

StatusOr<Transaction> Transaction::Begin(Connection& db, std::string_view setup) {
  RETURN_IF_ERROR(db.Execute("BEGIN"));
  Transaction transaction(&db);
  if (!setup.empty()) RETURN_IF_ERROR(db.Execute(setup));
  return transaction;
}

Transaction::~Transaction() {
  if (db_ != nullptr) db_->Rollback();
}

Status Transaction::Commit() {
  Connection* db = std::exchange(db_, nullptr);
  return db->Execute("COMMIT");
}

bool Connection::healthy() const { return PQstatus(impl_->conn) == CONNECTION_OK; }

Status Connection::CancelStatement() {
  char error[256] = "";
  if (impl_->cancel != nullptr && PQcancel(impl_->cancel, error, sizeof error) == 1) {
    return Status::Ok();
  }
  std::string message = impl_->cancel != nullptr ? error : "no cancel key";
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
  return UnavailableError(fmt::format("cancel request failed: {}", log::Redact(message)));
}

}  // namespace coinlake::warehouse
