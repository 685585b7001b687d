#include "pipeline/progress.h"

#include <fmt/format.h>

#include <cstdio>

#include "common/log.h"

namespace coinlake::pipeline {

Progress::Progress(int64_t total_objects, bool bar) : total_(total_objects), bar_(bar) {}

void Progress::Add(int64_t objects, int64_t rows) {
  objects_ += objects;
  rows_ += rows;
}

void Progress::Tick() {
  auto now = std::chrono::steady_clock::now();
  if (now - last_emit_ < (bar_ ? std::chrono::milliseconds(250) : std::chrono::seconds(10))) {
    return;
  }
  last_emit_ = now;
  Emit(false);
}

void Progress::Finish() { Emit(true); }

void Progress::Emit(bool final) {
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  int64_t objects = objects_.load();
  int64_t rows = rows_.load();
  double rows_per_s = seconds > 0 ? static_cast<double>(rows) / seconds : 0;
  double objects_per_s = seconds > 0 ? static_cast<double>(objects) / seconds : 0;
  double eta = objects_per_s > 0 ? static_cast<double>(total_ - objects) / objects_per_s : 0;
  if (!bar_) {
    if (final) return;  // the command logs its own summary
    log::Info("reprocess progress", {{"objects_done", objects},
                                     {"objects_total", total_},
                                     {"rows", rows},
                                     {"rows_per_s", static_cast<int64_t>(rows_per_s)},
                                     {"eta_s", static_cast<int64_t>(eta)}});
    return;
  }
  constexpr int kWidth = 30;
  int filled = total_ > 0 ? static_cast<int>(kWidth * objects / total_) : kWidth;
  std::string bar(filled, '#');
  bar.resize(kWidth, '.');
  std::fprintf(stderr, "\r[%s] %lld/%lld objects  %.0f rows/s  ETA %02d:%02d%s", bar.c_str(),
               static_cast<long long>(objects), static_cast<long long>(total_), rows_per_s,
               static_cast<int>(eta) / 60, static_cast<int>(eta) % 60, final ? "\n" : "  ");
  std::fflush(stderr);
}

}  // namespace coinlake::pipeline
