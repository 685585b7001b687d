#include "cmc/client.h"

#include <curl/curl.h>
#include <fmt/format.h>

#include <charconv>
#include <mutex>

#include "common/log.h"

namespace coinlake::cmc {
namespace {

void GlobalInitOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct Transfer {
  std::string body;
  size_t max_bytes;
  bool too_large = false;
  std::optional<int> retry_after;
};

// The body buffer is reserved once, at the cap, on the first bytes: address space, not memory
// (only the pages the body fills become resident), and it goes back to the system as a whole
// when freed. A buffer grown by doubling would leave its smaller steps resident in the heap
// (glibc raises its mmap threshold as large blocks are freed; docs/benchmarks.md, "Measurements
// behind design rules"). Get() trims the buffer to the body's size.
size_t OnBody(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t n = size * count;
  if (t->body.size() + n > t->max_bytes) {
    t->too_large = true;
    return 0;  // aborts the transfer
  }
  if (t->body.capacity() < t->max_bytes) t->body.reserve(t->max_bytes);
  t->body.append(data, n);
  return n;
}

size_t OnHeader(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  std::string_view line(data, size * count);
  constexpr std::string_view kName = "retry-after:";
  if (line.size() > kName.size()) {
    std::string lower(line.substr(0, kName.size()));
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (lower == kName) {
      std::string_view value = line.substr(kName.size());
      while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
        value.remove_prefix(1);
      int seconds = 0;
      auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
      if (ec == std::errc() && seconds >= 0) t->retry_after = seconds;
    }
  }
  return size * count;
}

std::string Escape(CURL* curl, const std::string& text) {
  char* escaped = curl_easy_escape(curl, text.c_str(), static_cast<int>(text.size()));
  std::string out = escaped ? escaped : "";
  curl_free(escaped);
  return out;
}

}  // namespace

struct CmcClient::Impl {
  ClientOptions options;
  CURL* curl = nullptr;
  curl_slist* headers = nullptr;

  ~Impl() {
    curl_slist_free_all(headers);
    if (curl) curl_easy_cleanup(curl);
  }
};

CmcClient::CmcClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
CmcClient::~CmcClient() = default;

StatusOr<std::unique_ptr<CmcClient>> CmcClient::Make(const ClientOptions& options) {
  GlobalInitOnce();
  if (options.base_url.rfind("http://", 0) != 0 && options.base_url.rfind("https://", 0) != 0) {
    return InvalidArgumentError(
        fmt::format("CMC URL must start with http:// or https://: '{}'", options.base_url));
  }
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  while (!impl->options.base_url.empty() && impl->options.base_url.back() == '/') {
    impl->options.base_url.pop_back();
  }
  impl->curl = curl_easy_init();
  if (!impl->curl) return InternalError("curl_easy_init failed");
  impl->headers = curl_slist_append(impl->headers, "Accept: application/json");
  if (!options.api_key.empty()) {
    log::RegisterSecret(options.api_key);
    impl->headers = curl_slist_append(
        impl->headers, fmt::format("X-CMC_PRO_API_KEY: {}", options.api_key).c_str());
  }
  return std::unique_ptr<CmcClient>(new CmcClient(std::move(impl)));
}

StatusOr<HttpResponse> CmcClient::Get(const std::string& path,
                                      const std::map<std::string, std::string>& params) {
  CURL* curl = impl_->curl;
  std::string query;
  for (const auto& [name, value] : params) {
    query += query.empty() ? "?" : "&";
    query += Escape(curl, name) + "=" + Escape(curl, value);
  }
  HttpResponse response;
  response.request = path + query;
  std::string url = impl_->options.base_url + response.request;

  Transfer transfer{{}, impl_->options.max_body_bytes};
  curl_easy_reset(curl);  // keeps the connection cache: reuse survives the reset
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, impl_->headers);
  curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, "");  // gzip/deflate, decoded by curl
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(impl_->options.connect_timeout.count()));
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS,
                   static_cast<long>(impl_->options.total_timeout.count()));
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, OnBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &transfer);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, OnHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &transfer);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, "coinlake/" COINLAKE_VERSION);
  // A Content-Length over the cap is refused before any of the body is read.
  curl_easy_setopt(curl, CURLOPT_MAXFILESIZE_LARGE,
                   static_cast<curl_off_t>(impl_->options.max_body_bytes));

  response.started = SystemNow();
  CURLcode rc = curl_easy_perform(curl);
  response.finished = SystemNow();
  if (transfer.too_large || rc == CURLE_FILESIZE_EXCEEDED) {
    return UnavailableError(
        fmt::format("CMC response to {} exceeds {} bytes", path, impl_->options.max_body_bytes));
  }
  if (rc != CURLE_OK) {
    return UnavailableError(fmt::format("CMC request {} failed: {}", path, curl_easy_strerror(rc)));
  }
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  response.http_status = static_cast<int>(status);
  transfer.body.shrink_to_fit();  // from the cap's reservation to the body's size
  response.body = std::move(transfer.body);
  response.retry_after_seconds = transfer.retry_after;
  return response;
}

}  // namespace coinlake::cmc
