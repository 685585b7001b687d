// Progress of a long load: objects done of a total, rows per second and an ETA, drawn as a bar
// on stderr for a person at a terminal, or logged as a JSON line every 10 s for a log reader.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace coinlake::pipeline {

class Progress {
 public:
  Progress(int64_t total_objects, bool bar);

  // Thread-safe.
  void Add(int64_t objects, int64_t rows);
  // Redraws the bar or logs a line when due (call often from one thread).
  void Tick();
  // Final line (the bar's newline).
  void Finish();

 private:
  void Emit(bool final);

  const int64_t total_;
  const bool bar_;
  const std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  // In the past, so the first Tick() reports at once.
  std::chrono::steady_clock::time_point last_emit_ = start_ - std::chrono::hours(1);
  std::atomic<int64_t> objects_{0};
  std::atomic<int64_t> rows_{0};
};

}  // namespace coinlake::pipeline
