// An S3 endpoint that accepts connections and never answers (a hung server, a black-holing
// proxy): every request ends at the URL's `timeout`, and a stop signal ends retries and the
// request in flight at once, so neither a cycle nor a shutdown waits on the lake forever.
#include <arpa/inet.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "lake/s3_object_store.h"
#include "tests/status_matchers.h"

namespace coinlake::lake {
namespace {

using std::chrono::steady_clock;

// Listens on a free local port and never accepts: the kernel completes the handshake into the
// backlog, so the client connects and then waits for an answer that never comes.
class SilentServer {
 public:
  SilentServer() {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    EXPECT_EQ(listen(fd_, 16), 0);
    socklen_t len = sizeof(addr);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
  }
  ~SilentServer() { close(fd_); }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

std::unique_ptr<S3ObjectStore> OpenSilentLake(const SilentServer& server, int timeout_seconds,
                                              StopSignal* stop) {
  auto location =
      ParseS3Url(fmt::format("s3://lake?endpoint=http://127.0.0.1:{}&region=us-east-1&timeout={}",
                             server.port(), timeout_seconds));
  EXPECT_OK(location);
  auto store = S3ObjectStore::Open(
      *location, aws::MakeStaticCredentials({"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG", ""}),
      BackoffPolicy{std::chrono::milliseconds(10), std::chrono::milliseconds(10), 2}, stop);
  EXPECT_OK(store);
  return *std::move(store);
}

TEST(S3HangingLakeTest, EachRequestEndsAtTheUrlTimeout) {
  SilentServer server;
  auto lake = OpenSilentLake(server, 1, nullptr);
  auto started = steady_clock::now();
  Status status = lake->Put("raw/x.json.gz", "body");
  auto waited = steady_clock::now() - started;
  EXPECT_EQ(status.code(), StatusCode::kUnavailable) << status.ToString();
  EXPECT_GE(waited, std::chrono::seconds(2)) << "two attempts of one second each";
  EXPECT_LT(waited, std::chrono::seconds(10));
}

TEST(S3HangingLakeTest, StopAbandonsTheRequestInFlight) {
  SilentServer server;
  StopSignal stop;
  auto lake = OpenSilentLake(server, 600, &stop);
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    stop.Stop();
  });
  auto started = steady_clock::now();
  Status status = lake->Put("raw/x.json.gz", "body");
  auto waited = steady_clock::now() - started;
  stopper.join();
  EXPECT_EQ(status.code(), StatusCode::kUnavailable) << status.ToString();
  EXPECT_LT(waited, std::chrono::seconds(5)) << "not the 600 s timeout, nor a retry";
}

TEST(S3UrlTest, TimeoutIsWholeSecondsInRange) {
  auto loc = ParseS3Url("s3://lake?timeout=30");
  ASSERT_OK(loc);
  EXPECT_EQ(loc->request_timeout, std::chrono::seconds(30));
  EXPECT_EQ(ParseS3Url("s3://lake")->request_timeout, std::chrono::seconds(60));
  for (const char* bad : {"s3://lake?timeout=0", "s3://lake?timeout=1.5", "s3://lake?timeout=",
                          "s3://lake?timeout=99999", "s3://lake?timeout=-3"}) {
    auto parsed = ParseS3Url(bad);
    EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument) << bad;
  }
}

}  // namespace
}  // namespace coinlake::lake
