// The e-mail channel against a real SMTP server on 127.0.0.1 (aiosmtpd from Debian's
// python3-aiosmtpd, tests/alerts/smtp_sink.py) with a throwaway certificate made by openssl at
// run time: STARTTLS and TLS deliveries arrive with the right headers and body; a server that
// offers no TLS, or a certificate the channel does not trust, is an error and nothing is sent;
// 4xx and 5xx replies read as transient and permanent.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "alerts/channel.h"
#include "alerts/channel_config.h"
#include "tests/status_matchers.h"
#include "tests/test_support.h"

namespace coinlake::alerts {
namespace {

using std::chrono::milliseconds;

constexpr std::string_view kFiring =
    R"({"rule": "btc-100k", "time": "2026-12-06T14:05:00.000Z", "event": "firing", )"
    R"("values": {"level": 100000, "value": 100213.5, "metric": "price", "currency": "USD", )"
    R"("direction": "above"}, "channel": "mail", )"
    R"("subject": {"name": "Bitcoin", "cmc_id": 1, "symbol": "BTC"}, )"
    R"("condition": "price BTC above 100000 USD", "idempotency_key": "btc-100k/1/firing/9/mail"})";
const Notification kNotification{"btc-100k/1/firing/9/mail", std::string(kFiring)};

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// A self-signed certificate for 127.0.0.1, made now and removed with the directory.
void MakeCertificate(const std::string& dir, const std::string& name) {
  std::string command =
      "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost "
      "-addext subjectAltName=IP:127.0.0.1,DNS:localhost -keyout " +
      dir + "/" + name + ".key -out " + dir + "/" + name + ".pem >/dev/null 2>&1";
  ASSERT_EQ(std::system(command.c_str()), 0) << command;
}

class SmtpSink {
 public:
  // `mode`: starttls, plain or tls (tests/alerts/smtp_sink.py).
  explicit SmtpSink(const std::string& mode) {
    MakeCertificate(dir_.path(), "server");
    const std::string script = std::string(COINLAKE_SOURCE_DIR) + "/tests/alerts/smtp_sink.py";
    const std::string cert = dir_.path() + "/server.pem", key = dir_.path() + "/server.key";
    pid_ = fork();
    if (pid_ == 0) {
      // Debian's python3, whose dist-packages hold aiosmtpd (not a python3 earlier in PATH).
      execl("/usr/bin/python3", "python3", script.c_str(), dir_.path().c_str(), mode.c_str(),
            cert.c_str(), key.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    for (int i = 0; i < 200 && port_ == 0; ++i) {
      std::ifstream in(dir_.path() + "/port");
      if (!(in >> port_)) port_ = 0;
      if (port_ == 0) std::this_thread::sleep_for(milliseconds(50));
    }
    EXPECT_GT(port_, 0) << "smtp_sink.py did not start (apt-get install python3-aiosmtpd)";
  }
  ~SmtpSink() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      waitpid(pid_, nullptr, 0);
    }
  }
  int port() const { return port_; }
  const std::string& dir() const { return dir_.path(); }
  std::string ca() const { return dir_.path() + "/server.pem"; }
  int messages() const {
    int n = 0;
    for (const auto& entry : std::filesystem::directory_iterator(dir_.path()))
      n += entry.path().extension() == ".eml";
    return n;
  }

 private:
  coinlake::testing::TempDir dir_;
  pid_t pid_ = -1;
  int port_ = 0;
};

std::unique_ptr<Channel> MailChannel(const std::string& url, const std::string& ca,
                                     const std::string& to = "ops@example.com") {
  auto config = ParseChannel("mail: email " + url + " from=coinlake@example.org to=" + to +
                             " ca-file=" + ca + " timeout=5s");
  EXPECT_OK(config);
  auto channel = MakeChannel(*config);
  EXPECT_OK(channel);
  return channel.ok() ? std::move(channel).value() : nullptr;
}

TEST(EmailChannelTest, StartTlsDeliversWithHeadersAndBody) {
  SmtpSink sink("starttls");
  auto channel = MailChannel("smtp://127.0.0.1:" + std::to_string(sink.port()), sink.ca(),
                             "ops@example.com,desk@example.com");
  ASSERT_NE(channel, nullptr);
  ASSERT_OK_AND_ASSIGN(ChannelAnswer answer, channel->Send(kNotification, nullptr));
  EXPECT_TRUE(answer.delivered) << answer.error;
  EXPECT_EQ(answer.code, "SMTP 250");
  ASSERT_EQ(sink.messages(), 1);
  nlohmann::json envelope = nlohmann::json::parse(Slurp(sink.dir() + "/001.json"));
  EXPECT_EQ(envelope["mail_from"], "coinlake@example.org");
  EXPECT_EQ(envelope["rcpt_tos"], (nlohmann::json{"ops@example.com", "desk@example.com"}));
  EXPECT_EQ(envelope["tls"], true) << "sent after STARTTLS";
  std::string message = Slurp(sink.dir() + "/001.eml");
  for (const char* header :
       {"From: coinlake <coinlake@example.org>\r\n", "To: ops@example.com, desk@example.com\r\n",
        "Subject: coinlake FIRING btc-100k (BTC)\r\n",
        "X-Coinlake-Idempotency-Key: btc-100k/1/firing/9/mail\r\n",
        "Content-Type: text/plain; charset=utf-8\r\n"}) {
    EXPECT_NE(message.find(header), std::string::npos) << header << "\n" << message;
  }
  EXPECT_TRUE(message.starts_with("Date: ")) << message;
  EXPECT_NE(message.find("\r\nMessage-ID: <"), std::string::npos) << message;
  EXPECT_NE(message.find("@example.org>\r\n"), std::string::npos) << message;
  EXPECT_NE(message.find("\r\n\r\nFIRING btc-100k: Bitcoin (BTC) price is 100213.5 USD, above "
                         "100000 USD (condition: price BTC above 100000 USD; at "
                         "2026-12-06T14:05:00.000Z)\r\n"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("\"symbol\": \"BTC\""), std::string::npos) << "the payload follows";
}

TEST(EmailChannelTest, ImplicitTlsDelivers) {
  SmtpSink sink("tls");
  auto channel = MailChannel("smtps://127.0.0.1:" + std::to_string(sink.port()), sink.ca());
  ASSERT_NE(channel, nullptr);
  ASSERT_OK_AND_ASSIGN(ChannelAnswer answer, channel->Send(kNotification, nullptr));
  EXPECT_TRUE(answer.delivered) << answer.error;
  EXPECT_EQ(sink.messages(), 1);
}

TEST(EmailChannelTest, AServerWithoutTlsGetsNothing) {
  SmtpSink sink("plain");
  auto channel = MailChannel("smtp://127.0.0.1:" + std::to_string(sink.port()), sink.ca());
  ASSERT_NE(channel, nullptr);
  auto answer = channel->Send(kNotification, nullptr);
  ASSERT_FALSE(answer.ok()) << "sent in the clear";
  EXPECT_EQ(answer.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(sink.messages(), 0);
}

TEST(EmailChannelTest, ACertificateNotTrustedGetsNothing) {
  SmtpSink sink("starttls");
  coinlake::testing::TempDir other;
  MakeCertificate(other.path(), "other");  // a CA the server's certificate is not from
  auto channel =
      MailChannel("smtp://127.0.0.1:" + std::to_string(sink.port()), other.path() + "/other.pem");
  ASSERT_NE(channel, nullptr);
  auto answer = channel->Send(kNotification, nullptr);
  ASSERT_FALSE(answer.ok());
  EXPECT_EQ(answer.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(sink.messages(), 0);
}

TEST(EmailChannelTest, TransientAndPermanentReplies) {
  SmtpSink sink("starttls");
  const std::string url = "smtp://127.0.0.1:" + std::to_string(sink.port());
  auto later = MailChannel(url, sink.ca(), "tempfail@example.com");
  ASSERT_NE(later, nullptr);
  ASSERT_OK_AND_ASSIGN(ChannelAnswer transient, later->Send(kNotification, nullptr));
  EXPECT_FALSE(transient.delivered);
  EXPECT_EQ(transient.code, "SMTP 451");
  EXPECT_NE(transient.error.find("(transient)"), std::string::npos) << transient.error;
  auto never = MailChannel(url, sink.ca(), "reject@example.com");
  ASSERT_NE(never, nullptr);
  ASSERT_OK_AND_ASSIGN(ChannelAnswer permanent, never->Send(kNotification, nullptr));
  EXPECT_FALSE(permanent.delivered);
  EXPECT_EQ(permanent.code, "SMTP 550");
  EXPECT_NE(permanent.error.find("(permanent"), std::string::npos) << permanent.error;
  EXPECT_EQ(sink.messages(), 0);
}

TEST(EmailChannelTest, ServerDownIsUnavailable) {
  coinlake::testing::RefusingPort down;
  auto channel = MailChannel("smtp://127.0.0.1:" + std::to_string(down.port()), "unused-ca.pem");
  ASSERT_NE(channel, nullptr);
  auto answer = channel->Send(kNotification, nullptr);
  ASSERT_FALSE(answer.ok());
  EXPECT_EQ(answer.status().code(), StatusCode::kUnavailable);
}

}  // namespace
}  // namespace coinlake::alerts
