#include "cmc/sim_faults.h"

#include <fmt/format.h>
#include <zlib.h>

#include <algorithm>
#include <memory>
#include <nlohmann/json.hpp>

#include "cmc/sim_http.h"

namespace coinlake::cmc::sim {

StatusOr<std::vector<Fault>> ParseFaults(std::string_view text) {
  auto doc = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_array()) {
    return InvalidArgumentError("faults must be a JSON array");
  }
  std::vector<Fault> faults;
  try {
    for (const auto& f : doc) {
      Fault fault;
      fault.kind = f.at("fault").get<std::string>();
      static const char* kKinds[] = {"status",    "error_200", "slow",         "reset",
                                     "truncated", "malformed", "new_field",    "huge",
                                     "endless",   "gzip_bomb", "deep_nesting", "drip"};
      if (std::find(std::begin(kKinds), std::end(kKinds), fault.kind) == std::end(kKinds)) {
        return InvalidArgumentError(fmt::format("unknown fault '{}'", fault.kind));
      }
      fault.path = f.value("path", "");
      fault.count = f.value("count", 1);
      fault.http = f.value("http", 500);
      if (f.contains("error_code")) fault.error_code = f["error_code"].get<int64_t>();
      if (f.contains("retry_after")) fault.retry_after = f["retry_after"].get<int>();
      fault.delay_ms = f.value("delay_ms", 0);
      fault.bytes = f.value("bytes", fault.bytes);
      fault.depth = f.value("depth", fault.depth);
      fault.chunk_bytes = std::max(1, f.value("chunk_bytes", fault.chunk_bytes));
      fault.interval_ms = f.value("interval_ms", fault.interval_ms);
      faults.push_back(std::move(fault));
    }
  } catch (const nlohmann::json::exception& e) {
    return InvalidArgumentError(fmt::format("bad fault: {}", e.what()));
  }
  return faults;
}

namespace {

// Hostile bodies are generated piece by piece as the client reads, so the sim's own memory
// stays flat however much it sends.
constexpr size_t kPieceBytes = 64 << 10;
const char* Whitespace() {
  static const std::string spaces(kPieceBytes, ' ');
  return spaces.data();
}

// A gzip stream of `size` spaces, deflated as the client reads: about 1 KB on the wire per
// MB inflated, so a client that limits only the compressed size inflates gigabytes.
class GzipBomb {
 public:
  explicit GzipBomb(int64_t size) : left_(size) {
    deflateInit2(&z_, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY);
  }
  ~GzipBomb() { deflateEnd(&z_); }
  GzipBomb(const GzipBomb&) = delete;
  GzipBomb& operator=(const GzipBomb&) = delete;

  // Sends the next compressed piece (1 MB inflated); false once the client is gone.
  bool Next(httplib::DataSink& sink) {
    std::string out;
    for (int i = 0; i < 16 && !finished_; ++i) {
      size_t n = static_cast<size_t>(std::min<int64_t>(left_, kPieceBytes));
      left_ -= static_cast<int64_t>(n);
      z_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(Whitespace()));
      z_.avail_in = static_cast<uInt>(n);
      int flush = left_ == 0 ? Z_FINISH : Z_NO_FLUSH;
      do {
        z_.next_out = out_;
        z_.avail_out = sizeof out_;
        if (deflate(&z_, flush) == Z_STREAM_END) finished_ = true;
        out.append(reinterpret_cast<char*>(out_), sizeof out_ - z_.avail_out);
      } while (z_.avail_out == 0 || (flush == Z_FINISH && !finished_));
    }
    if (!out.empty() && !sink.write(out.data(), out.size())) return false;
    if (finished_) sink.done();
    return true;
  }

 private:
  z_stream z_{};
  int64_t left_;
  bool finished_ = false;
  Bytef out_[16 << 10];
};

}  // namespace

bool IsFlood(const Fault& fault) {
  return fault.kind == "huge" || fault.kind == "endless" || fault.kind == "gzip_bomb";
}

void ServeFlood(const Fault& fault, httplib::Response& res) {
  if (fault.kind == "huge") {
    res.set_content_provider(static_cast<size_t>(std::max<int64_t>(fault.bytes, 0)), kJsonType,
                             [](size_t, size_t length, httplib::DataSink& sink) {
                               return sink.write(Whitespace(), std::min(length, kPieceBytes));
                             });
  } else if (fault.kind == "endless") {
    // Not a JSON content type: httplib would spend its time compressing the flood.
    res.set_chunked_content_provider(
        "application/octet-stream",
        [](size_t, httplib::DataSink& sink) { return sink.write(Whitespace(), kPieceBytes); });
  } else {
    auto bomb = std::make_shared<GzipBomb>(std::max<int64_t>(fault.bytes, 0));
    res.set_header("Content-Encoding", "gzip");
    res.set_chunked_content_provider(
        "application/octet-stream",
        [bomb](size_t, httplib::DataSink& sink) { return bomb->Next(sink); });
  }
}

}  // namespace coinlake::cmc::sim
