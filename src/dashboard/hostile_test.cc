// The dashboard under hostile clients: SQL injection in every API parameter, path traversal,
// oversized request lines, headers and bodies, slow clients, invalid UTF-8 and more connections
// than it serves. Each gets a 4xx JSON error (or a closed connection where nothing else is
// possible) in bounded time and memory, and a normal request succeeds afterwards.
// Requests go over raw sockets, byte for byte, so no client library normalises them first.
#include <arpa/inet.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "cmc/parser.h"
#include "cmc/sim.h"
#include "common/bytes.h"
#include "dashboard/server.h"
#include "lake/keys.h"
#include "pipeline/fetch.h"
#include "tests/sanitizers.h"
#include "tests/test_support.h"
#include "warehouse/loader.h"

namespace coinlake::dashboard {
namespace {

using coinlake::testing::ExpectMemoryBelow;
using coinlake::testing::ReadFixture;
using coinlake::testing::TempDir;
using coinlake::testing::TestDatabase;
using Clock = std::chrono::steady_clock;

// VmHWM (peak RSS) of this process in MiB; the server runs in it.
double PeakRssMib() {
  std::ifstream in("/proc/self/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  }
  return 0;
}

// A connection to the server on 127.0.0.1, from `source` (any loopback address: each is a
// client address of its own).
int Connect(int port, const char* source = "127.0.0.1") {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in from{};
  from.sin_family = AF_INET;
  ::inet_pton(AF_INET, source, &from.sin_addr);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&from), sizeof from) != 0) {
    ::close(fd);
    return -1;
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  timeval send_timeout{2, 0};  // a server that stops reading must not hang the test
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &send_timeout, sizeof send_timeout);
  return fd;
}

// Sends everything it can (the server may close early: that is an answer too).
void SendAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n <= 0) return;
    data.remove_prefix(static_cast<size_t>(n));
  }
}

struct RawResponse {
  int status = 0;  // 0: the connection closed (or timed out) without an HTTP answer
  std::string head;
  std::string body;
  bool timed_out = false;
  double seconds = 0;
};

// Reads one response (headers, and Content-Length bytes of body) or until the peer closes.
RawResponse ReadResponse(int fd, std::chrono::milliseconds timeout) {
  RawResponse out;
  std::string data;
  auto start = Clock::now();
  auto deadline = start + timeout;
  size_t need = std::string::npos;
  for (;;) {
    auto header_end = data.find("\r\n\r\n");
    if (header_end != std::string::npos && need == std::string::npos) {
      std::string head = data.substr(0, header_end);
      std::string lower = head;
      for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      auto cl = lower.find("content-length:");
      need = header_end + 4 + (cl == std::string::npos ? 0 : std::stoul(head.substr(cl + 15)));
    }
    if (need != std::string::npos && data.size() >= need) break;
    int left = static_cast<int>(
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count());
    if (left <= 0) {
      out.timed_out = true;
      break;
    }
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, left) <= 0) continue;
    char buf[16384];
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    data.append(buf, static_cast<size_t>(n));
  }
  out.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  auto header_end = data.find("\r\n\r\n");
  if (data.rfind("HTTP/1.", 0) == 0 && data.size() > 12) out.status = std::stoi(data.substr(9, 3));
  if (header_end != std::string::npos) {
    out.head = data.substr(0, header_end);
    out.body = data.substr(header_end + 4);
  }
  return out;
}

RawResponse Raw(int port, std::string_view request,
                std::chrono::milliseconds timeout = std::chrono::seconds(15),
                const char* source = "127.0.0.1") {
  int fd = Connect(port, source);
  EXPECT_GE(fd, 0);
  if (fd < 0) return {};
  SendAll(fd, request);
  RawResponse r = ReadResponse(fd, timeout);
  ::close(fd);
  return r;
}

std::string Get(std::string_view target) {
  return fmt::format("GET {} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n", target);
}

std::string KeepAliveGet(std::string_view target) {
  return fmt::format("GET {} HTTP/1.1\r\nHost: localhost\r\n\r\n", target);
}

// Percent-encodes every byte but unreserved ones, as a browser would in a query value.
std::string Encode(std::string_view text) {
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

// A 4xx answer whose body is a JSON object with an "error" string.
void ExpectJsonError(const RawResponse& r, const std::string& what) {
  EXPECT_GE(r.status, 400) << what << "\n" << r.head;
  EXPECT_LT(r.status, 500) << what << "\n" << r.head << "\n" << r.body;
  EXPECT_NE(r.head.find("Content-Type: application/json"), std::string::npos) << what;
  nlohmann::json body = nlohmann::json::parse(r.body, nullptr, false);
  ASSERT_FALSE(body.is_discarded()) << what << ": not JSON: " << r.body.substr(0, 200);
  EXPECT_TRUE(body.contains("error") && body["error"].is_string()) << what << ": " << r.body;
}

class HostileDashboardTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_.Migrate();
    cmc::SimOptions sim_options;
    sim_options.port = 0;
    sim_options.coins = 120;
    auto sim = std::move(cmc::Simulator::Start(sim_options)).value();
    pipeline::FetchOptions f;
    f.database_url = db_.url();
    f.lake_url = "file://" + dir_.path() + "/lake";
    f.spool_dir = dir_.path() + "/spool";
    f.cmc.base_url = sim->base_url();
    f.cmc.api_key = "k-hostile";
    StopSignal stop;
    Status fetched = pipeline::RunFetch(f, stop);
    ASSERT_TRUE(fetched.ok()) << fetched.ToString();
    quotes_ = db_.Scalar("SELECT count(*) FROM quotes");
    ASSERT_NE(quotes_, "0");
    ServeOptions options = LocalOptions();
    options.cache_ms = 0;
    server_ = std::move(Server::Start(options)).value();
    port_ = server_->port();
  }

  // A server on a free loopback port over `database_url` (this test's database by default).
  ServeOptions LocalOptions(const std::string& database_url = "") const {
    ServeOptions options;
    options.host = "127.0.0.1";
    options.port = 0;
    options.database_url = database_url.empty() ? db_.url() : database_url;
    return options;
  }

  // The server still answers a normal request, and the data is intact.
  void ExpectStillServing(const std::string& after) {
    RawResponse r = Raw(port_, Get("/api/v1/latest?limit=3"), std::chrono::seconds(10));
    ASSERT_EQ(r.status, 200) << "after " << after << ": " << r.head << r.body;
    EXPECT_LT(r.seconds, 5) << after;
    EXPECT_EQ(nlohmann::json::parse(r.body)["count"], 3) << after;
    EXPECT_EQ(db_.Scalar("SELECT count(*) FROM quotes"), quotes_) << after;
  }

  TestDatabase db_;
  TempDir dir_;
  std::string quotes_;
  std::unique_ptr<Server> server_;
  int port_ = 0;
};

TEST_F(HostileDashboardTest, SqlInjectionInEveryParameterIsRejectedOrInert) {
  // Every parameter of every endpoint, with what each needs besides.
  struct Target {
    const char* path;
    const char* required;  // other parameters the endpoint needs
    std::vector<const char*> params;
  };
  std::vector<Target> targets = {
      {"/api/v1/health", "", {"x"}},
      {"/api/v1/latest", "", {"limit", "sort", "order", "currency", "format"}},
      {"/api/v1/assets", "", {"q", "ids", "limit"}},
      {"/api/v1/series", "ids=1", {"ids", "width", "currency", "from", "to", "range", "format"}},
      {"/api/v1/candles", "id=1", {"id", "interval", "currency", "from", "to", "range", "format"}},
      {"/api/v1/sparklines", "ids=1", {"ids", "currency"}},
      {"/api/v1/movers", "", {"window", "limit", "universe", "currency"}},
      {"/api/v1/global", "", {"currency"}},
      {"/api/v1/global/series", "", {"width", "currency", "from", "to", "range"}},
      {"/api/v1/currencies", "", {"x"}},
      {"/api/v1/pipeline", "", {"runs"}},
      {"/api/v1/alerts", "", {"limit", "before"}},
  };
  std::vector<std::string> payloads = {
      "' OR '1'='1",
      "1; DROP TABLE quotes; --",
      "1) UNION SELECT usename, passwd FROM pg_shadow --",
      "1' AND pg_sleep(3) IS NULL --",
      "USD'; SELECT pg_sleep(3); --",
      "$1",
      "1/**/OR/**/1=1",
      "%' OR ''='",
      "'; COPY (SELECT 1) TO PROGRAM 'touch /tmp/coinlake-pwned'; --",
      "\\'; DELETE FROM quotes; --",
  };
  int requests = 0;
  for (const Target& t : targets) {
    for (const char* param : t.params) {
      for (const std::string& payload : payloads) {
        std::string query = fmt::format("{}={}", param, Encode(payload));
        // The endpoint's required parameter, unless it is the one under attack.
        if (*t.required && std::string(t.required).rfind(std::string(param) + "=", 0) != 0) {
          query += std::string("&") + t.required;
        }
        std::string target = fmt::format("{}?{}", t.path, query);
        RawResponse r = Raw(port_, Get(target));
        ++requests;
        // Free-text search takes any printable text as a bound parameter: 200, no match.
        if (std::string(param) == "q") {
          ASSERT_EQ(r.status, 200) << target << ": " << r.body;
          EXPECT_EQ(nlohmann::json::parse(r.body)["count"], 0) << target;
        } else {
          ExpectJsonError(r, target);
        }
        EXPECT_LT(r.seconds, 2.5) << target << ": pg_sleep ran?";
      }
    }
  }
  // Injection through parameter names, too.
  for (const std::string& name : {std::string("1;DROP TABLE quotes"), std::string("' OR 1=1--")}) {
    std::string target = fmt::format("/api/v1/latest?{}=1", Encode(name));
    ExpectJsonError(Raw(port_, Get(target)), target);
    ++requests;
  }
  EXPECT_EQ(db_.Scalar("SELECT count(*) FROM pg_tables WHERE tablename IN ('quotes', 'assets')"),
            "2");
  EXPECT_NE(::access("/tmp/coinlake-pwned", F_OK), 0);
  std::cout << "[figures] scenario=sql_injection requests=" << requests << std::endl;
  ExpectStillServing("SQL injection");
}

TEST_F(HostileDashboardTest, PathTraversalNeverReachesTheFileSystem) {
  std::vector<std::string> targets = {
      "/../../../../etc/passwd",
      "/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
      "/%2E%2E%2F%2E%2E%2F%2E%2E%2Fetc%2Fpasswd",
      "/%252e%252e/%252e%252e/etc/passwd",
      "/..%252f..%252f..%252fetc%252fpasswd",
      "/..\\..\\..\\etc\\passwd",
      "/%5c..%5c..%5c..%5cetc%5cpasswd",
      "/index.html%00../../etc/passwd",
      "/app.js%00.html",
      "/%00",
      "/....//....//etc/passwd",
      "/api/v1/../../../etc/passwd",
      "/api/v1/%2e%2e/%2e%2e/etc/passwd",
      "//etc/passwd",
      "/%c0%ae%c0%ae/%c0%ae%c0%ae/etc/passwd",
      "/vendor/../../../../proc/self/environ",
      "/web/app.js",
      "/CMakeLists.txt",
  };
  for (const std::string& target : targets) {
    RawResponse r = Raw(port_, Get(target));
    EXPECT_GE(r.status, 400) << target;
    EXPECT_LT(r.status, 500) << target;
    EXPECT_EQ(r.body.find("root:"), std::string::npos) << target;
    EXPECT_EQ(r.body.find("PATH="), std::string::npos) << target;
    EXPECT_EQ(r.body.find("cmake_minimum_required"), std::string::npos) << target;
    if (target.rfind("/api/", 0) == 0) ExpectJsonError(r, target);
  }
  // A raw NUL byte in the request line.
  RawResponse nul = Raw(port_, std::string("GET /index.html\0/../../etc/passwd HTTP/1.1\r\n", 45) +
                                   "Host: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(nul.body.find("root:"), std::string::npos);
  EXPECT_NE(nul.status, 200);
  ExpectStillServing("path traversal");
}

TEST_F(HostileDashboardTest, OversizedRequestsAreRefusedInBoundedMemory) {
  double peak_before = PeakRssMib();
  // A request line of 1 MB.
  RawResponse line = Raw(port_, Get("/api/v1/latest?limit=" + std::string(1 << 20, '1')));
  if (line.status != 0) ExpectJsonError(line, "1 MB request line");
  EXPECT_FALSE(line.timed_out);
  // One header of 1 MB.
  RawResponse header =
      Raw(port_, "GET /api/v1/health HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(1 << 20, 'a') +
                     "\r\nConnection: close\r\n\r\n");
  if (header.status != 0) ExpectJsonError(header, "1 MB header");
  EXPECT_FALSE(header.timed_out);
  // 100,000 small headers (1.6 MB): httplib 0.11 has no limit on their number; the request's
  // byte budget (128 KiB) cuts them: 431, or a reset while the client still sends.
  std::string many = "GET /api/v1/health HTTP/1.1\r\nHost: x\r\n";
  for (int i = 0; i < 100000; ++i) many += fmt::format("X-H{}: v\r\n", i);
  RawResponse headers = Raw(port_, many + "Connection: close\r\n\r\n");
  if (headers.status != 0) ExpectJsonError(headers, "100,000 headers");
  EXPECT_NE(headers.status, 200);
  EXPECT_FALSE(headers.timed_out);
  // A body announced at 1 GB: refused before it is read.
  RawResponse body = Raw(port_,
                         "POST /api/v1/latest HTTP/1.1\r\nHost: x\r\nContent-Length: 1073741824\r\n"
                         "Connection: close\r\n\r\n" +
                             std::string(64 << 10, 'x'));
  ExpectJsonError(body, "1 GB body");
  EXPECT_LT(body.seconds, 5);
  // A GET with a 256 MB chunked body: refused before it is read.
  std::string chunked =
      "GET /api/v1/health HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
      "Connection: close\r\n\r\n";
  RawResponse chunks;
  {
    int fd = Connect(port_);
    ASSERT_GE(fd, 0);
    std::string piece = "10000\r\n" + std::string(0x10000, 'c') + "\r\n";
    SendAll(fd, chunked + piece);
    // The answer comes after the headers, before the body is read.
    chunks = ReadResponse(fd, std::chrono::seconds(10));
    for (int i = 1; i < 4096; ++i) SendAll(fd, piece);  // fails fast: the server has closed
    ::close(fd);
  }
  ExpectJsonError(chunks, "256 MB chunked body");
  EXPECT_FALSE(chunks.timed_out);
  double growth = PeakRssMib() - peak_before;
  std::cout << fmt::format(
                   "[figures] scenario=oversized line={} header={} headers={} body={} chunked={} "
                   "peak_rss_growth_mib={:.1f}",
                   line.status, header.status, headers.status, body.status, chunks.status, growth)
            << std::endl;
  ExpectMemoryBelow(growth, 64, "peak RSS growth");
  ExpectStillServing("oversized requests");
}

TEST_F(HostileDashboardTest, InvalidUtf8InParametersIsA400WithValidJson) {
  for (const char* target : {
           "/api/v1/assets?q=%ff%fe%fd",
           "/api/v1/assets?q=bit%c3%28",
           "/api/v1/assets?q=%ed%a0%80",  // a UTF-16 surrogate, invalid in UTF-8
           "/api/v1/assets?q=%c0%af",     // overlong '/'
           "/api/v1/latest?currency=%c3%28",
           "/api/v1/series?ids=1&range=%ff",
           "/api/v1/movers?window=%e2%82",
           "/api/v1/latest?%ff%fe=1",
           "/api/v1/latest?sort=%80",
       }) {
    RawResponse r = Raw(port_, Get(target));
    ExpectJsonError(r, target);
    EXPECT_EQ(r.status, 400) << target << ": " << r.body;
  }
  // Raw bytes that are not UTF-8 in the request target, unencoded.
  RawResponse raw = Raw(port_, Get("/api/v1/assets?q=\xff\xfe"));
  ExpectJsonError(raw, "raw 0xff 0xfe");
  ExpectStillServing("invalid UTF-8");
}

// Slowloris: clients that dribble their headers one line a second hold connections, but the
// others are still served.
TEST_F(HostileDashboardTest, SlowClientsDoNotBlockOthers) {
  constexpr int kSlow = 64;
  std::vector<int> slow;
  for (int i = 0; i < kSlow; ++i) {
    int fd = Connect(port_);
    ASSERT_GE(fd, 0);
    SendAll(fd, "GET /api/v1/health HTTP/1.1\r\nHost: x\r\n");
    slow.push_back(fd);
  }
  double worst = 0;
  for (int round = 0; round < 4; ++round) {
    for (int fd : slow) SendAll(fd, fmt::format("X-Drip-{}: a\r\n", round));
    // Another client, so another address: one address holds at most its share (64 of 256).
    RawResponse r =
        Raw(port_, Get("/api/v1/latest?limit=3"), std::chrono::seconds(10), "127.0.0.2");
    EXPECT_EQ(r.status, 200) << "round " << round << " with " << kSlow << " slow clients";
    worst = std::max(worst, r.seconds);
    std::this_thread::sleep_for(std::chrono::milliseconds(700));
  }
  for (int fd : slow) ::close(fd);
  std::cout << fmt::format(
                   "[figures] scenario=slowloris slow_clients={} worst_normal_seconds={:.3f}",
                   kSlow, worst)
            << std::endl;
  EXPECT_LT(worst, 3);
  ExpectStillServing("slow clients");
}

// A client that sends header lines forever, as fast as it can: httplib alone read them all into
// the request (100,000 lines were served). The request is cut at its byte budget (128 KiB)
// and the connection closed: the flood stops long before 16 MiB, in bounded memory.
TEST_F(HostileDashboardTest, EndlessHeadersAreCutInBoundedMemory) {
  constexpr size_t kFloodCap = 16 << 20;  // the client gives up here: the server never cut it
  double peak_before = PeakRssMib();
  int fd = Connect(port_);
  ASSERT_GE(fd, 0);
  std::string block;
  for (int i = 0; block.size() < (size_t{64} << 10); ++i)
    block += fmt::format("X-Flood-{}: v\r\n", i);
  auto start = Clock::now();
  SendAll(fd, "GET /api/v1/health HTTP/1.1\r\nHost: x\r\n");
  size_t sent = 0;
  while (sent < kFloodCap) {
    ssize_t n = ::send(fd, block.data(), block.size(), MSG_NOSIGNAL);
    if (n <= 0) break;  // the server closed the connection (or stopped reading for 2 s)
    sent += static_cast<size_t>(n);
  }
  RawResponse r = ReadResponse(fd, std::chrono::seconds(10));
  double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  ::close(fd);
  double growth = PeakRssMib() - peak_before;
  std::cout << fmt::format(
                   "[figures] scenario=endless_headers sent_mib={:.2f} status={} seconds={:.2f} "
                   "peak_rss_growth_mib={:.1f}",
                   static_cast<double>(sent) / (1 << 20), r.status, seconds, growth)
            << std::endl;
  EXPECT_LT(sent, kFloodCap) << "the server read the flood on and on";
  EXPECT_FALSE(r.timed_out) << "the connection must be closed, not left open";
  // The 431 may be lost: closing a socket with unread bytes resets the connection.
  if (r.status != 0) {
    EXPECT_EQ(r.status, 431) << r.head;
    ExpectJsonError(r, "endless headers");
  }
  EXPECT_LT(seconds, 10);
  ExpectMemoryBelow(growth, 16, "peak RSS growth");
  ExpectStillServing("endless headers");
}

// A client that sends its request a byte at a time, each well within the read timeout: only
// the whole-request deadline ends it (408, connection closed), so it cannot hold a thread.
TEST_F(HostileDashboardTest, DrippingClientIsCutAtTheRequestDeadline) {
  ServeOptions options = LocalOptions();
  options.request_timeout_ms = 1500;
  auto server = std::move(Server::Start(options)).value();
  int fd = Connect(server->port());
  ASSERT_GE(fd, 0);
  auto start = Clock::now();
  SendAll(fd, "GET /api/v1/health HTTP/1.1\r\nHost: x\r\n");
  RawResponse r;
  for (int i = 0; i < 40; ++i) {  // 10 s at most
    SendAll(fd, "X");             // a byte every 250 ms: never a read timeout
    r = ReadResponse(fd, std::chrono::milliseconds(250));
    if (!r.timed_out) break;  // answered, or closed
  }
  double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  ::close(fd);
  std::cout << fmt::format("[figures] scenario=drip_request status={} cut_after_seconds={:.2f}",
                           r.status, seconds)
            << std::endl;
  EXPECT_EQ(r.status, 408) << r.head << r.body;
  ExpectJsonError(r, "dripping request");
  EXPECT_LT(seconds, 1.5 + 1.0);
  EXPECT_GT(seconds, 1.0);
  ExpectStillServing("a dripping client");
}

// More idle connections than the server serves at once: the excess is turned away (503 JSON
// or closed) within bounded time, and once they go, normal service resumes.
TEST_F(HostileDashboardTest, TooManyConnectionsAreTurnedAwayAndServiceResumes) {
  constexpr int kConnections = 400;
  std::vector<int> idle;
  for (int i = 0; i < kConnections; ++i) {
    int fd = Connect(port_);
    if (fd >= 0) idle.push_back(fd);
  }
  EXPECT_GE(idle.size(), 300u);
  // A normal request now: served, or refused with a clear answer, but not left hanging.
  RawResponse during = Raw(port_, Get("/api/v1/latest?limit=3"), std::chrono::seconds(20));
  EXPECT_FALSE(during.timed_out) << "a request with " << idle.size() << " idle connections open";
  if (during.status != 200 && during.status != 0) {
    EXPECT_EQ(during.status, 503) << during.body;
  }
  for (int fd : idle) ::close(fd);
  std::cout << fmt::format(
                   "[figures] scenario=too_many_connections idle={} during_status={} "
                   "during_seconds={:.3f}",
                   idle.size(), during.status, during.seconds)
            << std::endl;
  auto deadline = Clock::now() + std::chrono::seconds(15);
  RawResponse after;
  while (Clock::now() < deadline) {
    after = Raw(port_, Get("/api/v1/latest?limit=3"), std::chrono::seconds(5));
    if (after.status == 200) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  EXPECT_EQ(after.status, 200);
  ExpectStillServing("too many connections");
}

// One address may hold only its share of the connections served (here 3 of 256): its next
// connection is answered 503 and closed at once, one that sends nothing is closed within about a
// second, while another address is served; when one of its connections goes, it is served again.
TEST_F(HostileDashboardTest, OneAddressCannotHoldEveryConnection) {
  ServeOptions options = LocalOptions();
  options.max_connections_per_client = 3;
  auto server = std::move(Server::Start(options)).value();
  const int port = server->port();
  std::vector<int> held;
  for (int i = 0; i < 3; ++i) {
    int fd = Connect(port);
    ASSERT_GE(fd, 0);
    held.push_back(fd);
    SendAll(fd, KeepAliveGet("/api/v1/health"));
    ASSERT_EQ(ReadResponse(fd, std::chrono::seconds(10)).status, 200) << "holder " << i;
  }
  int extra = Connect(port);
  ASSERT_GE(extra, 0);
  SendAll(extra, KeepAliveGet("/api/v1/health"));
  RawResponse refused = ReadResponse(extra, std::chrono::seconds(10));
  EXPECT_EQ(refused.status, 503) << refused.head << refused.body;
  EXPECT_NE(refused.head.find("Connection: close"), std::string::npos) << refused.head;
  EXPECT_EQ(nlohmann::json::parse(refused.body, nullptr, false)["error"],
            "too many connections from this address");
  RawResponse after = ReadResponse(extra, std::chrono::seconds(5));
  EXPECT_FALSE(after.timed_out) << "the refused connection was left open";
  ::close(extra);

  int silent = Connect(port);
  ASSERT_GE(silent, 0);
  RawResponse dropped = ReadResponse(silent, std::chrono::seconds(10));
  ::close(silent);
  EXPECT_EQ(dropped.status, 0);
  EXPECT_FALSE(dropped.timed_out);
  EXPECT_LT(dropped.seconds, 3.0) << "a refused connection that sends nothing held a thread";

  RawResponse served = Raw(port, Get("/api/v1/health"), std::chrono::seconds(10), "127.0.0.2");
  EXPECT_EQ(served.status, 200) << served.head << served.body;

  ::close(held.back());
  held.pop_back();
  RawResponse again;
  for (auto until = Clock::now() + std::chrono::seconds(5); Clock::now() < until;) {
    again = Raw(port, Get("/api/v1/health"), std::chrono::seconds(5));
    if (again.status == 200) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(again.status, 200) << again.head << again.body;
  for (int fd : held) ::close(fd);
  std::cout << fmt::format(
                   "[figures] scenario=connections_per_address limit=3 refused_status={} "
                   "silent_closed_after={:.3f}s other_address_status={}",
                   refused.status, dropped.seconds, served.status)
            << std::endl;
}

// More distinct requests than the pool has connections, each outliving the statement timeout
// (every read of quotes waits behind a lock the test holds, as behind a long migration or a
// heavy scan), so neither the answer cache nor the pool absorbs them: PostgreSQL never holds more
// of the dashboard's backends than the pool's size, none still runs a statement once the
// requests are answered (503), and the ETL loads as soon as the lock goes.
TEST_F(HostileDashboardTest, HeavyRequestsNeverPileUpInTheDatabase) {
  const std::string reader = db_.LoginUrl("coinlake_reader");
  const size_t user = reader.find("://") + 3;
  const std::string login = reader.substr(user, reader.find('@') - user);
  constexpr int kPool = 2;
  constexpr int kRequests = 8;
  ServeOptions options = LocalOptions(reader);
  options.db_connections = kPool;
  options.statement_timeout_ms = 1000;
  auto server = std::move(Server::Start(options)).value();

  auto locker = db_.Connect();
  ASSERT_TRUE(locker->Execute("BEGIN").ok());
  ASSERT_TRUE(locker->Execute("LOCK TABLE quotes IN ACCESS EXCLUSIVE MODE").ok());
  auto monitor = db_.Connect();
  auto backends = [&](const char* where) {
    auto rows = monitor->Query(
        fmt::format("SELECT count(*) FROM pg_stat_activity WHERE usename = $1 {}", where), {login});
    EXPECT_TRUE(rows.ok()) << rows.status().ToString();
    return rows.ok() ? std::stoi(rows->text(0, 0)) : -1;
  };
  std::atomic<bool> storm{true};
  int most = 0;
  std::thread sampler([&] {
    while (storm) {
      most = std::max(most, backends(""));
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  });
  auto start = Clock::now();
  std::vector<RawResponse> answers(kRequests);
  std::vector<std::thread> clients;
  for (int i = 0; i < kRequests; ++i) {
    clients.emplace_back([&, i] {
      answers[i] = Raw(server->port(), Get(fmt::format("/api/v1/series?ids={}&range=1h", i + 1)),
                       std::chrono::seconds(30));
    });
  }
  for (auto& c : clients) c.join();
  double storm_seconds = std::chrono::duration<double>(Clock::now() - start).count();
  storm = false;
  sampler.join();
  for (const RawResponse& r : answers) {
    EXPECT_EQ(r.status, 503) << r.head << r.body;
    EXPECT_EQ(nlohmann::json::parse(r.body, nullptr, false)["error"],
              "database busy: the query took too long")
        << r.body;
  }
  EXPECT_GE(most, 1) << "the sampler never saw a dashboard backend";
  EXPECT_LE(most, kPool) << "more dashboard backends than the pool's size";
  // Every answer came after its statement ended: nothing of the dashboard's still runs, though
  // the lock is still held.
  EXPECT_EQ(backends("AND state = 'active'"), 0);

  locker->Rollback();
  auto writer = warehouse::Connection::Open(db_.LoginUrl("coinlake_writer"));
  ASSERT_TRUE(writer.ok()) << writer.status().ToString();
  std::string body = ReadFixture("listings_latest_v1_top100_duedill_2025-02-08.json");
  auto payload = cmc::ParseListings(body);
  ASSERT_TRUE(payload.ok()) << payload.status().ToString();
  warehouse::LakeObjectRef object{
      lake::RawBodyKey(lake::kListingsLatest, payload->status.timestamp), Sha256Hex(body),
      static_cast<int64_t>(body.size()), std::string(lake::kListingsLatest),
      payload->status.timestamp};
  auto load_start = Clock::now();
  warehouse::Loader loader(**writer);
  auto loaded = loader.LoadQuotes(object, *payload);
  double load_seconds = std::chrono::duration<double>(Clock::now() - load_start).count();
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(loaded->rows, 100);
  EXPECT_LT(load_seconds, 10.0);
  std::cout
      << fmt::format(
             "[figures] scenario=heavy_requests requests={} pool={} statement_timeout_ms=1000 "
             "storm_seconds={:.2f} most_backends={} etl_load_seconds={:.3f}",
             kRequests, kPool, storm_seconds, most, load_seconds)
      << std::endl;
}

}  // namespace
}  // namespace coinlake::dashboard
