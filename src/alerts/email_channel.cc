#include "alerts/email_channel.h"

#include <curl/curl.h>
#include <fmt/format.h>

#include <cstring>
#include <ctime>
#include <mutex>
#include <nlohmann/json.hpp>

#include "alerts/notification_text.h"
#include "common/bytes.h"
#include "common/log.h"

namespace coinlake::alerts {
namespace {

struct Upload {
  std::string_view data;
  size_t sent = 0;
};

size_t ReadMessage(char* buffer, size_t size, size_t count, void* user) {
  auto* upload = static_cast<Upload*>(user);
  size_t n = std::min(size * count, upload->data.size() - upload->sent);
  std::memcpy(buffer, upload->data.data() + upload->sent, n);
  upload->sent += n;
  return n;
}

int AbortWhenStopped(void* stop, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  return static_cast<StopSignal*>(stop)->stopped() ? 1 : 0;
}

// A header value: printable ASCII as is; anything else as one RFC 2047 encoded word.
std::string HeaderText(const std::string& text) {
  bool ascii = std::all_of(text.begin(), text.end(), [](char c) {
    return static_cast<unsigned char>(c) >= 0x20 && static_cast<unsigned char>(c) < 0x7f;
  });
  if (ascii) return text;
  return "=?UTF-8?B?" + Base64Encode(text) + "?=";
}

std::string RfcDate(TimePoint now) {
  std::time_t t = std::chrono::system_clock::to_time_t(now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buffer[64];
  std::strftime(buffer, sizeof(buffer), "%a, %d %b %Y %H:%M:%S +0000", &tm);
  return buffer;
}

// Lines of the body: CRLF, none longer than SMTP's 998.
std::string BodyLines(const std::string& text) {
  std::string out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = std::min(text.find('\n', start), text.size());
    std::string line = text.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    while (line.size() > 900) {
      out += line.substr(0, 900) + "\r\n";
      line = line.substr(900);
    }
    out += line + "\r\n";
    start = end + 1;
  }
  return out;
}

class EmailChannel final : public Channel {
 public:
  EmailChannel(const ChannelConfig& config, std::string password)
      : Channel(config.name), config_(config), password_(std::move(password)) {}

  StatusOr<ChannelAnswer> Send(const Notification& notification, StopSignal* stop) override {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
    std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), &curl_easy_cleanup);
    if (!curl) return InternalError("curl_easy_init failed");
    CURL* h = curl.get();
    std::string message = EmailMessage(config_, notification, SystemNow());
    Upload upload{message};
    char error[CURL_ERROR_SIZE] = {};
    std::string from = "<" + config_.from + ">";
    curl_slist* recipients = nullptr;
    for (const std::string& to : config_.to)
      recipients = curl_slist_append(recipients, ("<" + to + ">").c_str());
    std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> guard(recipients,
                                                                      &curl_slist_free_all);
    curl_easy_setopt(h, CURLOPT_URL, config_.url.c_str());
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    // smtp:// must upgrade with STARTTLS or fail: the message is never sent in the clear.
    curl_easy_setopt(h, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_ALL));
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
    if (!config_.ca_file.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, config_.ca_file.c_str());
    if (!config_.user.empty()) {
      curl_easy_setopt(h, CURLOPT_USERNAME, config_.user.c_str());
      curl_easy_setopt(h, CURLOPT_PASSWORD, password_.c_str());
    }
    curl_easy_setopt(h, CURLOPT_MAIL_FROM, from.c_str());
    curl_easy_setopt(h, CURLOPT_MAIL_RCPT, recipients);
    curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(h, CURLOPT_READFUNCTION, ReadMessage);
    curl_easy_setopt(h, CURLOPT_READDATA, &upload);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
                     static_cast<long>(std::min<int64_t>(config_.timeout.count(), 10'000)));
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(config_.timeout.count()));
    if (stop != nullptr) {
      curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, AbortWhenStopped);
      curl_easy_setopt(h, CURLOPT_XFERINFODATA, stop);
      curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    }
    CURLcode rc = curl_easy_perform(h);
    long reply = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &reply);
    std::string detail = error[0] != '\0' ? error : curl_easy_strerror(rc);
    ChannelAnswer answer;
    answer.code = fmt::format("SMTP {}", reply);
    if (rc == CURLE_OK) {
      answer.delivered = true;
      answer.said = "accepted for " + std::to_string(config_.to.size()) + " recipient(s)";
      return answer;
    }
    // The server refused with a reply of its own: 4xx passes (greylisting, a full queue), 5xx
    // will not until someone acts. Both are retried with backoff.
    if (reply >= 400 && reply < 600 && rc != CURLE_OPERATION_TIMEDOUT) {
      answer.said = log::Redact(detail);
      answer.error = log::Redact(
          reply < 500 ? fmt::format("SMTP {}: {} (transient)", reply, detail)
                      : fmt::format("SMTP {}: {} (permanent until the channel's addresses, "
                                    "login or the server's policy is fixed)",
                                    reply, detail));
      return answer;
    }
    // No reply to read: refused, timed out, or TLS could not be had (STARTTLS not offered, a
    // certificate not trusted): nothing was sent.
    return UnavailableError(log::Redact(fmt::format("mail to channel {}: {}", name(), detail)));
  }

 private:
  ChannelConfig config_;
  std::string password_;
};

}  // namespace

std::string EmailMessage(const ChannelConfig& config, const Notification& notification,
                         TimePoint now) {
  NotificationText text = FormatNotification(notification.payload);
  std::string to;
  for (const std::string& address : config.to) to += (to.empty() ? "" : ", ") + address;
  std::string domain = config.from.substr(config.from.find('@') + 1);
  // The same key gives the same Message-ID: a repeat is recognisably the same message.
  std::string message_id = Sha256Hex(notification.idempotency_key).substr(0, 40);
  nlohmann::json payload = nlohmann::json::parse(notification.payload, nullptr, false);
  std::string details = payload.is_discarded() ? notification.payload : payload.dump(2);
  std::string out;
  out += "Date: " + RfcDate(now) + "\r\n";
  out += "From: coinlake <" + config.from + ">\r\n";
  out += "To: " + to + "\r\n";
  out += "Subject: " + HeaderText(text.title) + "\r\n";
  out += "Message-ID: <" + message_id + "@" + domain + ">\r\n";
  out += "X-Coinlake-Idempotency-Key: " + HeaderText(notification.idempotency_key) + "\r\n";
  out += "Auto-Submitted: auto-generated\r\n";
  out += "MIME-Version: 1.0\r\n";
  out += "Content-Type: text/plain; charset=utf-8\r\n";
  out += "Content-Transfer-Encoding: 8bit\r\n";
  out += "\r\n";
  out += BodyLines(text.line + "\n\n" + details);
  return out;
}

std::unique_ptr<Channel> MakeEmailChannel(const ChannelConfig& config, std::string password) {
  return std::make_unique<EmailChannel>(config, std::move(password));
}

}  // namespace coinlake::alerts
