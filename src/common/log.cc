#include "common/log.h"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <mutex>
#include <set>

#include "common/time_util.h"

namespace coinlake::log {
namespace {

struct LongestFirst {
  bool operator()(const std::string& a, const std::string& b) const {
    return a.size() != b.size() ? a.size() > b.size() : a < b;
  }
};

struct State {
  std::mutex mu;
  // Longest first, so a secret that contains a shorter one is masked whole (masking the short
  // one first would leave the rest of the long one readable). A set: registering the same
  // secret again (each client or server that starts registers its key) adds nothing.
  std::set<std::string, LongestFirst> secrets;
  std::shared_ptr<spdlog::logger> logger;
  Level min_level = Level::kInfo;
};

State& GetState() {
  static State* state = new State();  // never destroyed: logging may happen during exit
  return *state;
}

std::shared_ptr<spdlog::logger> MakeLogger(Sink sink) {
  std::shared_ptr<spdlog::logger> logger;
  if (sink == Sink::kStdout) {
    logger = std::make_shared<spdlog::logger>("coinlake",
                                              std::make_shared<spdlog::sinks::stdout_sink_mt>());
  } else {
    logger = std::make_shared<spdlog::logger>("coinlake",
                                              std::make_shared<spdlog::sinks::stderr_sink_mt>());
  }
  // The JSON object is built in Write(); spdlog only adds the newline and does the I/O.
  logger->set_pattern("%v");
  logger->set_level(spdlog::level::trace);
  logger->flush_on(spdlog::level::trace);
  return logger;
}

std::string_view LevelName(Level level) {
  switch (level) {
    case Level::kDebug:
      return "debug";
    case Level::kInfo:
      return "info";
    case Level::kWarn:
      return "warn";
    case Level::kError:
      return "error";
  }
  return "info";
}

}  // namespace

void Configure(Level min_level, Sink sink) {
  State& s = GetState();
  std::lock_guard lock(s.mu);
  s.min_level = min_level;
  s.logger = MakeLogger(sink);
}

bool ParseLevel(std::string_view text, Level* level) {
  if (text == "debug")
    *level = Level::kDebug;
  else if (text == "info")
    *level = Level::kInfo;
  else if (text == "warn" || text == "warning")
    *level = Level::kWarn;
  else if (text == "error")
    *level = Level::kError;
  else
    return false;
  return true;
}

bool RegisterSecret(std::string secret) {
  if (secret.size() < 4) return false;
  State& s = GetState();
  std::lock_guard lock(s.mu);
  return s.secrets.insert(std::move(secret)).second;
}

std::string Redact(std::string_view text) {
  State& s = GetState();
  std::string out(text);
  std::lock_guard lock(s.mu);
  for (const std::string& secret : s.secrets) {
    for (size_t pos = out.find(secret); pos != std::string::npos; pos = out.find(secret, pos)) {
      out.replace(pos, secret.size(), "***");
      pos += 3;
    }
  }
  return out;
}

void Write(Level level, std::string_view msg, const nlohmann::json& fields) {
  State& s = GetState();
  std::shared_ptr<spdlog::logger> logger;
  {
    std::lock_guard lock(s.mu);
    if (level < s.min_level) return;
    if (!s.logger) s.logger = MakeLogger(Sink::kStdout);
    logger = s.logger;
  }
  nlohmann::json line = nlohmann::json::object();
  line["ts"] = FormatIso8601(SystemNow());
  line["level"] = LevelName(level);
  line["msg"] = msg;
  if (fields.is_object()) {
    for (auto it = fields.begin(); it != fields.end(); ++it) line[it.key()] = it.value();
  }
  // Invalid UTF-8 (from a hostile payload) is replaced rather than thrown on.
  std::string text = Redact(line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  logger->info(text);
}

}  // namespace coinlake::log
