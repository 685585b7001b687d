#include "common/crash_point.h"

#include <signal.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cstdlib>
#include <mutex>
#include <string>

#include "common/log.h"

namespace coinlake {
namespace {

struct Config {
  std::string point;  // empty: disabled
  long target = 1;    // die on this hit
  long hits = 0;
};

std::mutex mu;
Config config;
std::atomic<bool> armed{false};
std::once_flag loaded;

void Load() {
  std::lock_guard lock(mu);
  config = Config{};
  const char* env = std::getenv("COINLAKE_CRASH_AT");
  if (env == nullptr || *env == '\0') {
    armed = false;
    return;
  }
  std::string_view spec(env);
  size_t colon = spec.find(':');
  config.point = std::string(spec.substr(0, colon));
  if (colon != std::string_view::npos) {
    std::string_view n = spec.substr(colon + 1);
    long value = 0;
    auto [end, ec] = std::from_chars(n.data(), n.data() + n.size(), value);
    if (ec == std::errc() && end == n.data() + n.size() && value > 0) config.target = value;
  }
  static constexpr std::string_view kPoints[] = {"after_spool", "after_lake_put", "mid_load",
                                                 "after_load_commit"};
  if (std::find(std::begin(kPoints), std::end(kPoints), config.point) == std::end(kPoints)) {
    // A typo would make a crash test pass without crashing: say so loudly.
    log::Error("COINLAKE_CRASH_AT names no crash point; ignored", {{"crash_at", config.point}});
    return;
  }
  armed = true;
  log::Warn("fault injection armed", {{"crash_at", config.point}, {"hit", config.target}});
}

}  // namespace

void CrashPoint(std::string_view point) {
  std::call_once(loaded, Load);
  if (!armed.load(std::memory_order_relaxed)) return;
  std::lock_guard lock(mu);
  if (point != config.point || ++config.hits != config.target) return;
  log::Warn("fault injection: SIGKILL", {{"crash_at", point}, {"hit", config.hits}});
  raise(SIGKILL);
}

void ResetCrashPointForTest() {
  std::call_once(loaded, [] {});
  Load();
}

}  // namespace coinlake
