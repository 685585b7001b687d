// Helpers shared by the fuzz targets (fuzz/*_fuzzer.cc).
//
// A target's contract checks use Require: a violated contract aborts, which libFuzzer reports as
// a crash and the replay test (replay_main.cc) as a failure, the same as a sanitizer report.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

#include "common/log.h"
#include "common/status.h"

namespace coinlake::fuzz {

// Only errors reach stderr: the parsers log at info (new CMC fields), which would flood the
// fuzzer's output and slow it down.
inline void QuietLogs() {
  static const bool configured = [] {
    log::Configure(log::Level::kError, log::Sink::kStderr);
    return true;
  }();
  (void)configured;
}

inline void Require(bool ok, std::string_view what) {
  if (ok) return;
  std::fprintf(stderr, "fuzz contract violated: %.*s\n", static_cast<int>(what.size()),
               what.data());
  std::abort();
}

// The status must be OK or one of the codes a contract allows.
inline void RequireCode(const Status& status, std::string_view what,
                        std::initializer_list<StatusCode> allowed) {
  if (status.ok()) return;
  for (StatusCode code : allowed) {
    if (status.code() == code) return;
  }
  Require(false, std::string(what) + " returned " + status.ToString());
}

inline std::string_view AsText(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// Splits the input at the first '\n': the head picks a variant or carries a short argument
// (a profile name, a key), the rest is the document.
inline std::pair<std::string_view, std::string_view> SplitFirstLine(std::string_view input) {
  size_t nl = input.find('\n');
  if (nl == std::string_view::npos) return {input, {}};
  return {input.substr(0, nl), input.substr(nl + 1)};
}

}  // namespace coinlake::fuzz
