#include "aws/http.h"

#include <curl/curl.h>
#include <fmt/format.h>

#include <cstring>
#include <memory>
#include <mutex>
#include <optional>

namespace coinlake::aws {
namespace {

struct Upload {
  std::string_view data;
  size_t offset = 0;
};

size_t ReadBody(char* buffer, size_t size, size_t count, void* user) {
  auto* upload = static_cast<Upload*>(user);
  size_t n = std::min(size * count, upload->data.size() - upload->offset);
  std::memcpy(buffer, upload->data.data() + upload->offset, n);
  upload->offset += n;
  return n;
}

size_t WriteBody(char* data, size_t size, size_t count, void* user) {
  static_cast<std::string*>(user)->append(data, size * count);
  return size * count;
}

// The value of header `name` (lower case, with its colon) if `line` is that header.
std::optional<std::string_view> HeaderValue(std::string_view line, std::string_view name) {
  if (line.size() <= name.size() || strncasecmp(line.data(), name.data(), name.size()) != 0) {
    return std::nullopt;
  }
  std::string_view value = line.substr(name.size());
  while (!value.empty() && (value.front() == ' ')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == '\r' || value.back() == '\n')) value.remove_suffix(1);
  return value;
}

size_t ReadHeader(char* data, size_t size, size_t count, void* user) {
  std::string_view line(data, size * count);
  auto* response = static_cast<AwsHttpResponse*>(user);
  if (auto id = HeaderValue(line, "x-amz-request-id:")) response->request_id = std::string(*id);
  if (auto etag = HeaderValue(line, "etag:")) response->etag = std::string(*etag);
  return size * count;
}

// libcurl calls this about once a second even while nothing moves; non-zero aborts.
int AbortWhenStopped(void* stop, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  return static_cast<StopSignal*>(stop)->stopped() ? 1 : 0;
}

}  // namespace

StatusOr<AwsHttpResponse> PerformAwsHttp(const AwsHttpRequest& request) {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), &curl_easy_cleanup);
  if (!curl) return InternalError("curl_easy_init failed");
  CURL* h = curl.get();
  AwsHttpResponse response;
  Upload upload;
  curl_easy_setopt(h, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(request.connect_timeout.count()));
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(request.total_timeout.count()));
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, WriteBody);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &response.body);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, ReadHeader);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &response);
  if (request.no_proxy) curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
  if (request.stop != nullptr) {
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, AbortWhenStopped);
    curl_easy_setopt(h, CURLOPT_XFERINFODATA, request.stop);
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
  }
  if (request.method == "HEAD") {
    curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
  } else if (request.method == "PUT") {
    upload.data = request.body.value_or(std::string_view());
    curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(h, CURLOPT_READFUNCTION, ReadBody);
    curl_easy_setopt(h, CURLOPT_READDATA, &upload);
    curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(upload.data.size()));
  } else if (request.method == "POST") {
    // An exact Content-Length, 0 without a body (S3 may refuse a POST without one).
    std::string_view body = request.body.value_or(std::string_view());
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body.data() != nullptr ? body.data() : "");
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  } else if (request.method != "GET") {
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  }
  curl_slist* headers = nullptr;
  for (const std::string& header : request.headers)
    headers = curl_slist_append(headers, header.c_str());
  std::string token_header;
  if (request.signing && !request.signing->session_token.empty()) {
    token_header = "x-amz-security-token: " + request.signing->session_token;
    headers = curl_slist_append(headers, token_header.c_str());
  }
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> header_guard(headers,
                                                                           &curl_slist_free_all);
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
  std::string sigv4;
  if (request.signing) {
    sigv4 = fmt::format("aws:amz:{}:{}", request.signing->region, request.signing->service);
    curl_easy_setopt(h, CURLOPT_AWS_SIGV4, sigv4.c_str());
    curl_easy_setopt(h, CURLOPT_USERNAME, request.signing->access_key_id.c_str());
    curl_easy_setopt(h, CURLOPT_PASSWORD, request.signing->secret_access_key.c_str());
  }
  CURLcode rc = curl_easy_perform(h);
  if (rc != CURLE_OK) {
    return UnavailableError(
        fmt::format("{} {}: {}", request.method, request.url, curl_easy_strerror(rc)));
  }
  long status = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  response.http_status = static_cast<int>(status);
  curl_off_t length = -1;
  if (curl_easy_getinfo(h, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &length) == CURLE_OK && length >= 0)
    response.content_length = length;
  return response;
}

}  // namespace coinlake::aws
