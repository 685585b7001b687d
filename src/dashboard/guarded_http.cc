#include "dashboard/guarded_http.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <string>

namespace coinlake::dashboard {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

enum class Cut { kNone, kDeadline, kBudget };

// Why the request this thread is reading was cut; read by CutStatus() in the error handler,
// which httplib calls on the same thread while answering that request.
thread_local Cut t_cut = Cut::kNone;
// Set while this thread serves a connection beyond its address's limit (OverClientLimit).
thread_local bool t_over_client_limit = false;

// How long a connection beyond its address's limit may take to send the request it is refused
// on: it holds a server thread meanwhile.
constexpr milliseconds kRefusalWait{1000};

milliseconds Millis(time_t sec, time_t usec) { return milliseconds(sec * 1000 + usec / 1000); }

// poll() for one socket, EINTR retried: > 0 ready, 0 timed out, < 0 error.
int PollFor(int fd, short events, milliseconds timeout) {
  auto until = Clock::now() + timeout;
  for (;;) {
    auto left = std::chrono::duration_cast<milliseconds>(until - Clock::now()).count();
    pollfd p{fd, events, 0};
    int rc = ::poll(&p, 1, static_cast<int>(std::max<int64_t>(left, 0)));
    if (rc >= 0 || errno != EINTR) return rc;
  }
}

void Address(bool peer, int fd, std::string& ip, int& port) {
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  auto* sa = reinterpret_cast<sockaddr*>(&addr);
  if ((peer ? ::getpeername(fd, sa, &len) : ::getsockname(fd, sa, &len)) != 0) return;
  char text[INET6_ADDRSTRLEN] = "";
  if (addr.ss_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&addr);
    ::inet_ntop(AF_INET, &in->sin_addr, text, sizeof text);
    port = ntohs(in->sin_port);
  } else if (addr.ss_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&addr);
    ::inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof text);
    port = ntohs(in6->sin6_port);
  }
  ip = text;
}

// A connection's socket as httplib reads and writes it (its own SocketStream, plus the limits):
// reads are buffered (httplib reads request lines byte by byte), and each request may read at
// most its budget of bytes before its deadline. A cut request reads as the end of the stream,
// so httplib answers what it has (400, or 414 for a request line too long) and the connection
// is closed.
class GuardedStream : public httplib::Stream {
 public:
  GuardedStream(int sock, milliseconds read_timeout, milliseconds write_timeout)
      : sock_(sock), read_timeout_(read_timeout), write_timeout_(write_timeout) {}

  // True once the next request's first byte is here; false after `idle` without one, when the
  // peer closes, or when `running` turns false (the server stops).
  template <typename Running>
  bool WaitForRequest(milliseconds idle, Running running) {
    if (begin_ < end_) return true;
    auto until = Clock::now() + idle;
    while (running()) {
      auto left = std::chrono::duration_cast<milliseconds>(until - Clock::now());
      if (left.count() <= 0) return false;
      int ready = PollFor(sock_, POLLIN, std::min(left, milliseconds(100)));
      if (ready != 0) return ready > 0;
    }
    return false;
  }

  void StartRequest(const RequestLimits& limits) {
    deadline_ = Clock::now() + limits.request_deadline;
    budget_ = limits.max_request_bytes;
    t_cut = Cut::kNone;
  }

  bool is_readable() const override {
    if (begin_ < end_) return true;
    milliseconds wait = ReadWait();
    if (wait.count() > 0 && PollFor(sock_, POLLIN, wait) > 0) return true;
    if (wait < read_timeout_) CutAt(Cut::kDeadline);  // the wait ended at the deadline
    return false;
  }

  ssize_t read(char* ptr, size_t size) override {
    if (budget_ == 0) return CutAt(Cut::kBudget);
    if (begin_ == end_) {
      milliseconds wait = ReadWait();
      if (wait.count() <= 0) return CutAt(Cut::kDeadline);
      int ready = PollFor(sock_, POLLIN, wait);
      if (ready == 0 && wait < read_timeout_) return CutAt(Cut::kDeadline);
      if (ready <= 0) return -1;  // httplib's own read timeout, or an error: drop the connection
      ssize_t n;
      do {
        n = ::recv(sock_, buffer_.data(), buffer_.size(), 0);
      } while (n < 0 && errno == EINTR);
      if (n <= 0) return n;
      begin_ = 0;
      end_ = static_cast<size_t>(n);
    }
    size_t n = std::min({size, end_ - begin_, budget_});
    std::memcpy(ptr, buffer_.data() + begin_, n);
    begin_ += n;
    budget_ -= n;
    return static_cast<ssize_t>(n);
  }

  bool is_writable() const override { return PollFor(sock_, POLLOUT, write_timeout_) > 0; }

  ssize_t write(const char* ptr, size_t size) override {
    if (!is_writable()) return -1;
    ssize_t n;
    do {
      n = ::send(sock_, ptr, size, MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    return n;
  }

  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    Address(true, sock_, ip, port);
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    Address(false, sock_, ip, port);
  }
  socket_t socket() const override { return sock_; }

 private:
  // How long the next read may wait: httplib's read timeout, but never past the deadline.
  milliseconds ReadWait() const {
    auto to_deadline = std::chrono::duration_cast<milliseconds>(deadline_ - Clock::now());
    return std::min(read_timeout_, to_deadline);
  }

  static ssize_t CutAt(Cut why) {
    t_cut = why;
    return 0;
  }

  const int sock_;
  const milliseconds read_timeout_;
  const milliseconds write_timeout_;
  Clock::time_point deadline_ = Clock::time_point::max();
  size_t budget_ = 0;
  std::array<char, 4096> buffer_{};
  size_t begin_ = 0;
  size_t end_ = 0;
};

}  // namespace

std::optional<int> GuardedHttpServer::CutStatus() {
  switch (t_cut) {
    case Cut::kDeadline:
      return 408;
    case Cut::kBudget:
      return 431;
    case Cut::kNone:
      break;
  }
  return std::nullopt;
}

bool GuardedHttpServer::OverClientLimit() { return t_over_client_limit; }

bool GuardedHttpServer::AdmitClient(const std::string& address) {
  std::lock_guard lock(clients_mu_);
  auto it = clients_.find(address);
  if (max_per_client_ > 0 && it != clients_.end() && it->second >= max_per_client_) return false;
  ++clients_[address];
  return true;
}

void GuardedHttpServer::ReleaseClient(const std::string& address) {
  std::lock_guard lock(clients_mu_);
  auto it = clients_.find(address);
  if (it != clients_.end() && --it->second <= 0) clients_.erase(it);
}

// httplib's keep-alive loop (process_server_socket in 0.11), over a GuardedStream: each request
// gets a fresh deadline and budget; a cut request is answered and ends the connection. A
// connection beyond its address's limit gets kRefusalWait to send one request, which the
// pre-routing handler answers 503 with Connection: close.
bool GuardedHttpServer::process_and_close_socket(socket_t sock) {
  std::string address;
  int port = 0;
  Address(true, sock, address, port);
  const bool admitted = AdmitClient(address);
  t_over_client_limit = !admitted;
  RequestLimits limits = limits_;
  milliseconds idle = Millis(keep_alive_timeout_sec_, 0);
  if (!admitted) {
    limits.request_deadline = std::min(limits.request_deadline, kRefusalWait);
    idle = std::min(idle, kRefusalWait);
  }
  GuardedStream stream(sock, Millis(read_timeout_sec_, read_timeout_usec_),
                       Millis(write_timeout_sec_, write_timeout_usec_));
  auto running = [this] { return svr_sock_ != INVALID_SOCKET; };
  bool ok = false;
  for (size_t left = admitted ? keep_alive_max_count_ : 1; left > 0; --left) {
    if (!stream.WaitForRequest(idle, running)) break;
    stream.StartRequest(limits);
    bool connection_closed = false;
    ok = process_request(stream, /*close_connection=*/left == 1, connection_closed, nullptr);
    if (!ok || connection_closed || t_cut != Cut::kNone) break;
  }
  t_cut = Cut::kNone;
  t_over_client_limit = false;
  // Released before the close, so a client that reconnects once it sees the close is counted
  // without this connection.
  if (admitted) ReleaseClient(address);
  ::shutdown(sock, SHUT_RDWR);
  ::close(sock);
  return ok;
}

}  // namespace coinlake::dashboard
