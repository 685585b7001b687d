#include "alerts/outage_journal.h"

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

#include "common/atomic_file.h"
#include "common/log.h"

namespace coinlake::alerts {
namespace {

constexpr int kVersion = 1;

nlohmann::json TimeOrNull(const std::optional<TimePoint>& t) {
  return t ? nlohmann::json(FormatIso8601(*t)) : nlohmann::json(nullptr);
}

StatusOr<std::optional<TimePoint>> OptionalTime(const nlohmann::json& object, const char* name) {
  if (!object.contains(name) || object[name].is_null()) return std::optional<TimePoint>();
  if (!object[name].is_string()) {
    return InvalidArgumentError(fmt::format("'{}' is not a time", name));
  }
  ASSIGN_OR_RETURN(TimePoint t, ParseIso8601(object[name].get<std::string>()));
  return std::optional<TimePoint>(t);
}

std::string Text(const nlohmann::json& object, const char* name) {
  if (!object.contains(name) || !object[name].is_string()) {
    throw std::invalid_argument(fmt::format("'{}' is missing or not text", name));
  }
  return object[name].get<std::string>();
}

}  // namespace

const JournalEntry* OutageJournal::Find(std::string_view rule) const {
  for (const JournalEntry& entry : entries) {
    if (entry.rule == rule) return &entry;
  }
  return nullptr;
}

std::string JournalToJson(const OutageJournal& journal) {
  nlohmann::json entries = nlohmann::json::array();
  for (const JournalEntry& entry : journal.entries) {
    nlohmann::json deliveries = nlohmann::json::array();
    for (const JournalDelivery& d : entry.deliveries) {
      deliveries.push_back({{"channel", d.channel},
                            {"idempotency_key", d.idempotency_key},
                            {"payload", d.payload},
                            {"attempts", d.attempts},
                            {"delivered_at", TimeOrNull(d.delivered_at)},
                            {"next_attempt_at", TimeOrNull(d.next_attempt_at)},
                            {"last_error", d.last_error}});
    }
    entries.push_back({{"rule", entry.rule},
                       {"fired_at", FormatIso8601(entry.fired_at)},
                       {"deliveries", deliveries}});
  }
  nlohmann::json out = {{"version", kVersion},
                        {"what", "coinlake database-outage alert journal (docs/alerts.md)"},
                        {"since", TimeOrNull(journal.since)},
                        {"entries", entries}};
  return out.dump(2) + "\n";
}

StatusOr<OutageJournal> JournalFromJson(std::string_view text) {
  nlohmann::json doc = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    return InvalidArgumentError("not a JSON object");
  }
  if (!doc.contains("version") || doc["version"] != kVersion) {
    return InvalidArgumentError(fmt::format("not a version {} journal", kVersion));
  }
  OutageJournal journal;
  ASSIGN_OR_RETURN(journal.since, OptionalTime(doc, "since"));
  if (!doc.contains("entries") || !doc["entries"].is_array()) {
    return InvalidArgumentError("'entries' is missing or not a list");
  }
  try {
    for (const nlohmann::json& e : doc["entries"]) {
      if (!e.is_object() || !e.contains("deliveries") || !e["deliveries"].is_array()) {
        return InvalidArgumentError("an entry has no list of deliveries");
      }
      JournalEntry entry;
      entry.rule = Text(e, "rule");
      ASSIGN_OR_RETURN(entry.fired_at, ParseIso8601(Text(e, "fired_at")));
      for (const nlohmann::json& d : e["deliveries"]) {
        if (!d.is_object()) return InvalidArgumentError("a delivery is not an object");
        JournalDelivery delivery;
        delivery.channel = Text(d, "channel");
        delivery.idempotency_key = Text(d, "idempotency_key");
        delivery.payload = Text(d, "payload");
        delivery.last_error = Text(d, "last_error");
        if (!d.contains("attempts") || !d["attempts"].is_number_integer()) {
          return InvalidArgumentError("a delivery's 'attempts' is not a whole number");
        }
        delivery.attempts = d["attempts"].get<int>();
        ASSIGN_OR_RETURN(delivery.delivered_at, OptionalTime(d, "delivered_at"));
        ASSIGN_OR_RETURN(delivery.next_attempt_at, OptionalTime(d, "next_attempt_at"));
        entry.deliveries.push_back(std::move(delivery));
      }
      journal.entries.push_back(std::move(entry));
    }
  } catch (const std::exception& e) {
    return InvalidArgumentError(e.what());
  }
  if (!journal.entries.empty() && !journal.since) {
    return InvalidArgumentError("entries without the outage's start");
  }
  return journal;
}

OutageJournal ReadJournal(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return {};
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  StatusOr<OutageJournal> journal =
      in ? JournalFromJson(text.str()) : StatusOr<OutageJournal>(UnavailableError("unreadable"));
  if (journal.ok()) return std::move(journal).value();
  const int64_t now =
      std::chrono::duration_cast<std::chrono::seconds>(SystemNow().time_since_epoch()).count();
  const std::string aside = fmt::format("{}.corrupt-{}", path, now);
  std::filesystem::rename(path, aside, ec);
  log::Error(
      "alert journal unreadable: set aside, the outage alert goes out once the database "
      "is back",
      {{"journal", path},
       {"set_aside_as", ec ? std::string("(could not rename: ") + ec.message() + ")" : aside},
       {"error", journal.status().ToString()}});
  return {};
}

Status WriteJournal(const std::string& path, const OutageJournal& journal) {
  const std::filesystem::path target(path);
  std::error_code ec;
  std::filesystem::create_directories(target.parent_path(), ec);
  if (ec) {
    return UnavailableError(
        fmt::format("cannot create {}: {}", target.parent_path().string(), ec.message()));
  }
  return WriteFileAtomically(path, JournalToJson(journal), 0600, /*durable=*/true);
}

Status RemoveJournal(const std::string& path) {
  std::error_code ec;
  const bool removed = std::filesystem::remove(path, ec);
  if (ec) return UnavailableError(fmt::format("cannot remove {}: {}", path, ec.message()));
  if (!removed) return Status::Ok();
  return FsyncFolder(std::filesystem::path(path).parent_path().string());
}

}  // namespace coinlake::alerts
