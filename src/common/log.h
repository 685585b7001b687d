// JSON-lines logging (one object per line), ready for journald and CloudWatch.
//
// Every line is {"ts": ISO-8601 UTC, "level": ..., "msg": ..., <fields>}. Registered secrets are
// replaced by "***" in every line, so an API key that reaches an error message is still never
// written out.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace coinlake::log {

enum class Level { kDebug, kInfo, kWarn, kError };
enum class Sink { kStdout, kStderr };

// Sets the minimum level and where lines go. Thread-safe; may be called again.
void Configure(Level min_level, Sink sink);

// Parses "debug", "info", "warn" or "error".
bool ParseLevel(std::string_view text, Level* level);

// Adds a string that must never appear in a log line (an API key, a password). Idempotent:
// registering a secret again (every client that starts registers its key) keeps one copy.
// Returns true if the secret was new. Strings shorter than 4 bytes are ignored (false):
// masking them would mangle ordinary text.
bool RegisterSecret(std::string secret);

// Replaces every registered secret in `text` by "***".
std::string Redact(std::string_view text);

void Write(Level level, std::string_view msg,
           const nlohmann::json& fields = nlohmann::json::object());

inline void Debug(std::string_view msg, const nlohmann::json& f = nlohmann::json::object()) {
  Write(Level::kDebug, msg, f);
}
inline void Info(std::string_view msg, const nlohmann::json& f = nlohmann::json::object()) {
  Write(Level::kInfo, msg, f);
}
inline void Warn(std::string_view msg, const nlohmann::json& f = nlohmann::json::object()) {
  Write(Level::kWarn, msg, f);
}
inline void Error(std::string_view msg, const nlohmann::json& f = nlohmann::json::object()) {
  Write(Level::kError, msg, f);
}

}  // namespace coinlake::log
