#include "pipeline/compact.h"

#include <fmt/format.h>
#include <malloc.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <future>
#include <thread>

#include "common/bytes.h"
#include "common/log.h"
#include "common/worker_pool.h"
#include "lake/keys.h"
#include "parquet/writer.h"
#include "pipeline/day_manifest.h"
#include "pipeline/load_object.h"
#include "pipeline/quote_spill.h"
#include "warehouse/checksum.h"

namespace coinlake::pipeline {
namespace {

// Records of one coin-id range held in memory at a time (quote_spill.h): with the writer's row
// group (held compressed) and its two pages of raw values (one filling, one encoding) a
// compaction stays under 200 MB whatever the day (32 MB ranges with two pages went past it).
// Row groups as DuckDB's (122,880 rows), so an engine skips as finely over coinlake's files as
// over its own; pages of half that (larger pages compress better: the file is no larger than
// DuckDB's).
constexpr int64_t kSpillBudgetBytes = 24 << 20;
constexpr int64_t kRowGroupRows = 122'880;
constexpr int64_t kPageRows = 61'440;

int64_t Micros(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
}

parquet::WriterOptions FileOptions(std::string_view table, const std::string& date) {
  parquet::WriterOptions options;
  options.row_group_rows = kRowGroupRows;
  options.page_rows = kPageRows;
  options.metadata = {{"coinlake.table", std::string(table)}, {"coinlake.date", date}};
  // Pages are encoded and compressed on other cores while the next page's rows are appended.
  options.encode_threads =
      static_cast<int>(std::clamp(std::thread::hardware_concurrency(), 1u, 4u));
  return options;
}

// Removes the staging file however the compaction ends.
struct StagingFile {
  std::string path;
  ~StagingFile() { ::unlink(path.c_str()); }
};

// Writes the staging file and hashes its bytes on the way (the file's key and manifest name
// it by its hash), so it is not read a second time. Not synced: PutFile makes the lake's copy
// durable, and the staging file goes once it is put.
class HashingSink final : public parquet::Sink {
 public:
  static StatusOr<std::unique_ptr<HashingSink>> Create(const std::string& path) {
    ASSIGN_OR_RETURN(auto file, parquet::FileSink::Create(path, parquet::FileSink::Sync::kNever));
    return std::unique_ptr<HashingSink>(new HashingSink(std::move(file)));
  }
  Status Write(std::string_view bytes) override {
    sha256_.Update(bytes);
    return file_->Write(bytes);
  }
  // Closes the file; the hex SHA-256 of what was written.
  StatusOr<std::string> Close() {
    RETURN_IF_ERROR(file_->Close());
    return sha256_.HexDigest();
  }

 private:
  explicit HashingSink(std::unique_ptr<parquet::FileSink> file) : file_(std::move(file)) {}
  std::unique_ptr<parquet::FileSink> file_;
  Sha256Stream sha256_;
};

// A quote source, hashed and parsed: its manifest entry (rows and checksum as audit computes
// them), the rows it gives the day, and its snapshot time.
struct ParsedSource {
  ManifestSource entry;
  std::vector<cmc::QuoteRow> rows;
  TimePoint snapshot{};
};

ParsedSource ParseQuoteSource(const SourceObject& source, std::string stored,
                              const std::string& date) {
  ParsedSource out;
  out.entry = {source.key, static_cast<int64_t>(stored.size()), "", source.by_point, 0, ""};
  auto parsed = ParseRawObject(source.key, stored);
  // The parse hashes the stored bytes for its reference; hashed here only when it fails.
  out.entry.sha256 = parsed.ok() ? parsed->ref.sha256 : Sha256Hex(stored);
  if (!parsed.ok()) {
    // raw/ holds only answers that parsed when fetched: one that no longer does is kept out of
    // the day and named in its manifest (0 rows), as `audit` names it.
    log::Warn("a raw object does not parse: left out of its curated day",
              {{"key", source.key}, {"error", parsed.status().ToString()}});
    return out;
  }
  if (parsed->quotes) out.rows = std::move(parsed->quotes->rows);
  if (source.by_point) {
    std::erase_if(out.rows, [&](const cmc::QuoteRow& r) { return FormatDate(r.ts) != date; });
  }
  // A snapshot's rows carry the time of the answer (the database's snapshot_ts), listings of a
  // past date the time asked for (ref.data_ts, endpoints.cc); a point of history its own.
  out.snapshot = parsed->ref.data_ts;
  warehouse::RowsChecksum sum = warehouse::ChecksumQuotes(out.rows);
  out.entry.rows = sum.rows;
  out.entry.checksum = sum.md5;
  return out;
}

StatusOr<TimePoint> ParseDay(const std::string& date) {
  auto t = ParseIso8601(date + "T00:00:00Z");
  if (!t.ok() || FormatDate(*t) != date) {
    return InvalidArgumentError(fmt::format("'{}' is not a date (YYYY-MM-DD)", date));
  }
  return *t;
}

}  // namespace

struct Compactor::Built {
  std::string sha256;  // of the file
  std::vector<ManifestSource> sources;
  int64_t rows = 0;
  int64_t row_groups = 0;
};

Compactor::Compactor(lake::ObjectStore& lake, std::string temp_dir, Clock clock)
    : lake_(lake), temp_dir_(std::move(temp_dir)), clock_(std::move(clock)), sources_(lake) {
  if (temp_dir_.empty()) {
    const char* tmp = std::getenv("TMPDIR");
    temp_dir_ = tmp != nullptr && *tmp != '\0' ? tmp : "/tmp";
  }
}

StatusOr<Compactor::Built> Compactor::BuildQuotes(const std::string& date,
                                                  const std::vector<SourceObject>& sources,
                                                  const std::string& path) {
  Built built;
  QuoteSpill spill(temp_dir_, kSpillBudgetBytes);
  const auto snapshots = std::count_if(sources.begin(), sources.end(),
                                       [](const SourceObject& s) { return !s.by_point; });
  bool planned = false;
  // The lake is read here, in order; the sources are hashed, parsed and checksummed on worker
  // threads (the bulk of the work), at most one per core ahead. The workers live through the
  // reading: each keeps its parser's buffers (cmc's thread-local parser) from one source to the
  // next.
  {
    const size_t workers = std::max(2u, std::thread::hardware_concurrency());
    WorkerPool pool(workers);
    std::deque<std::future<ParsedSource>> parsing;
    auto take = [&]() -> Status {
      ParsedSource source = parsing.front().get();
      parsing.pop_front();
      if (!planned && !source.rows.empty()) {
        std::vector<int64_t> ids;
        for (const cmc::QuoteRow& r : source.rows) ids.push_back(r.cmc_id);
        spill.PlanRanges(std::move(ids),
                         static_cast<int64_t>(source.rows.size()) * (snapshots + 1));
        planned = true;
      }
      for (const cmc::QuoteRow& r : source.rows) {
        RETURN_IF_ERROR(
            spill.Add(source.entry.by_point ? r.ts : source.snapshot, r, source.entry.key));
      }
      built.rows += source.entry.rows;
      built.sources.push_back(std::move(source.entry));
      return Status::Ok();
    };
    for (const SourceObject& source : sources) {
      ASSIGN_OR_RETURN(std::string stored, lake_.Get(source.key));
      parsing.push_back(pool.Submit([&source, &date, stored = std::move(stored)]() mutable {
        return ParseQuoteSource(source, std::move(stored), date);
      }));
      if (parsing.size() >= workers) RETURN_IF_ERROR(take());
    }
    while (!parsing.empty()) RETURN_IF_ERROR(take());
  }
  // The workers are gone, and with them their parsers' buffers: give them back before the
  // write, which holds a range of records and a row group.
  malloc_trim(0);
  ASSIGN_OR_RETURN(auto sink, HashingSink::Create(path));
  ASSIGN_OR_RETURN(auto writer, parquet::Writer::Create(
                                    QuotesSchema(), FileOptions(kQuotesTable, date), sink.get()));
  RETURN_IF_ERROR(spill.Emit(*writer));
  RETURN_IF_ERROR(writer->Close());
  ASSIGN_OR_RETURN(built.sha256, sink->Close());
  built.row_groups = (built.rows + kRowGroupRows - 1) / kRowGroupRows;
  return built;
}

StatusOr<Compactor::Built> Compactor::BuildGlobalMetrics(const std::string& date,
                                                         const std::vector<SourceObject>& sources,
                                                         const std::string& path) {
  // A day of global metrics is a few hundred rows: sorted in memory.
  struct Row {
    int64_t snapshot_us;
    cmc::GlobalMetricsRow values;
    size_t source;
  };
  Built built;
  std::vector<Row> rows;
  for (const SourceObject& source : sources) {
    ASSIGN_OR_RETURN(std::string stored, lake_.Get(source.key));
    ManifestSource entry{source.key, static_cast<int64_t>(stored.size()), "", source.by_point, 0,
                         ""};
    auto parsed = ParseRawObject(source.key, stored);
    entry.sha256 = parsed.ok() ? parsed->ref.sha256 : Sha256Hex(stored);
    if (!parsed.ok()) {
      log::Warn("a raw object does not parse: left out of its curated day",
                {{"key", source.key}, {"error", parsed.status().ToString()}});
      built.sources.push_back(std::move(entry));
      continue;
    }
    if (parsed->global_metrics) {
      for (cmc::GlobalMetricsRow& r : parsed->global_metrics->rows) {
        if (source.by_point && FormatDate(r.ts) != date) continue;
        int64_t snapshot = Micros(source.by_point ? r.ts : parsed->ref.data_ts);
        rows.push_back({snapshot, std::move(r), built.sources.size()});
        ++entry.rows;
      }
    }
    built.rows += entry.rows;
    built.sources.push_back(std::move(entry));
  }
  std::stable_sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) {
    return std::tie(a.values.quote_currency, a.snapshot_us) <
           std::tie(b.values.quote_currency, b.snapshot_us);
  });
  ASSIGN_OR_RETURN(auto sink, HashingSink::Create(path));
  ASSIGN_OR_RETURN(auto writer,
                   parquet::Writer::Create(GlobalMetricsSchema(),
                                           FileOptions(kGlobalMetricsTable, date), sink.get()));
  auto number = [&](const std::optional<double>& v) {
    v ? writer->AppendDouble(*v) : writer->AppendNull();
  };
  auto count = [&](const std::optional<int64_t>& v) {
    v ? writer->AppendInt64(*v) : writer->AppendNull();
  };
  for (const Row& row : rows) {
    const cmc::GlobalMetricsRow& r = row.values;
    writer->AppendTimestampMicros(row.snapshot_us);
    writer->AppendTimestampMicros(Micros(r.ts));
    writer->AppendString(r.quote_currency);
    number(r.total_market_cap);
    number(r.total_volume_24h);
    number(r.btc_dominance);
    number(r.eth_dominance);
    count(r.active_cryptocurrencies);
    count(r.active_exchanges);
    count(r.active_market_pairs);
    number(r.defi_market_cap);
    number(r.stablecoin_market_cap);
    writer->AppendString(built.sources[row.source].key);
    RETURN_IF_ERROR(writer->EndRow());
  }
  RETURN_IF_ERROR(writer->Close());
  ASSIGN_OR_RETURN(built.sha256, sink->Close());
  built.row_groups = (built.rows + kRowGroupRows - 1) / kRowGroupRows;
  return built;
}

StatusOr<bool> Compactor::UpToDate(const CuratedTable& table,
                                   const std::optional<DayManifest>& manifest,
                                   const std::vector<SourceObject>& sources) {
  if (!manifest || !manifest->SameSources(sources)) return false;
  ASSIGN_OR_RETURN(std::vector<lake::ObjectInfo> files,
                   lake_.ListAll(lake::CuratedDayPrefix(table.name, manifest->date)));
  return files.size() == 1 && files[0].key == manifest->file_key &&
         files[0].size == manifest->file_bytes;
}

Status Compactor::RemoveReplaced(const CuratedTable& table, const std::string& date,
                                 const std::string& keep) {
  ASSIGN_OR_RETURN(std::vector<lake::ObjectInfo> objects,
                   lake_.ListAll(lake::CuratedDayPrefix(table.name, date)));
  for (const lake::ObjectInfo& info : objects) {
    if (info.key == keep) continue;
    RETURN_IF_ERROR(lake_.Delete(info.key));
    log::Info("replaced curated file deleted", {{"key", info.key}});
  }
  return Status::Ok();
}

StatusOr<CompactedDay> Compactor::CompactDay(const CuratedTable& table, const std::string& date,
                                             bool force) {
  const auto started = std::chrono::steady_clock::now();
  RETURN_IF_ERROR(ParseDay(date).status());
  CompactedDay day;
  day.table = std::string(table.name);
  day.date = date;
  ASSIGN_OR_RETURN(std::vector<SourceObject> sources, sources_.DaySources(table, date));
  ASSIGN_OR_RETURN(std::optional<DayManifest> current,
                   ReadCurrentManifest(lake_, table.name, date));
  day.sources = static_cast<int64_t>(sources.size());
  if (sources.empty() && !current) {
    day.outcome = "no_sources";
    return day;
  }
  ASSIGN_OR_RETURN(bool up_to_date, UpToDate(table, current, sources));
  if (up_to_date && !force) {
    day.outcome = "up_to_date";
    day.file_key = current->file_key;
    day.version = current->version;
    day.rows = current->rows;
    day.bytes = current->file_bytes;
    return day;
  }
  StagingFile staging{
      fmt::format("{}/coinlake-compact-{}-{}-{}.parquet", temp_dir_, table.name, date, ::getpid())};
  Built built;
  if (table.name == kQuotesTable) {
    ASSIGN_OR_RETURN(built, BuildQuotes(date, sources, staging.path));
  } else {
    ASSIGN_OR_RETURN(built, BuildGlobalMetrics(date, sources, staging.path));
  }
  const std::string& sha256 = built.sha256;
  const std::string key = lake::CuratedFileKey(table.name, date, sha256.substr(0, 12));
  day.file_key = key;
  day.rows = built.rows;
  day.bytes = static_cast<int64_t>(std::filesystem::file_size(staging.path));
  // Streamed from the staging file: the day's file is never held in memory whole (on the file
  // lake; S3 takes it in one PUT, lake/object_store.h). The same bytes put again are a no-op; a
  // file someone removed comes back.
  RETURN_IF_ERROR(lake_.PutFile(key, staging.path));
  if (current && current->file_sha256 == sha256) {
    day.outcome = "unchanged";
    day.version = current->version;
  } else {
    DayManifest manifest;
    manifest.table = std::string(table.name);
    manifest.date = date;
    manifest.version = current ? current->version + 1 : 1;
    manifest.compacted_at = FormatIso8601(clock_());
    manifest.coinlake_version = COINLAKE_VERSION;
    manifest.file_key = key;
    manifest.file_bytes = day.bytes;
    manifest.file_sha256 = sha256;
    manifest.rows = built.rows;
    manifest.row_groups = built.row_groups;
    manifest.sources = std::move(built.sources);
    // Write-once: a compaction racing this one for the same version fails here (DATA_LOSS)
    // rather than hide its manifest; the next run finds the day up to date or stale.
    RETURN_IF_ERROR(lake_.Put(lake::ManifestKey(table.name, date, manifest.version),
                              manifest.ToJson().dump(1) + "\n"));
    day.outcome = "compacted";
    day.version = manifest.version;
  }
  RETURN_IF_ERROR(RemoveReplaced(table, date, key));
  // The day's buffers (spill ranges, parsers of the worker threads, the writer's row group) are
  // freed; hand them back, or glibc's per-thread arenas keep them and the next day adds its own.
  malloc_trim(0);
  day.milliseconds = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::steady_clock::now() - started)
                         .count();
  log::Info("curated day compacted", {{"table", day.table},
                                      {"date", day.date},
                                      {"outcome", day.outcome},
                                      {"key", day.file_key},
                                      {"version", day.version},
                                      {"sources", day.sources},
                                      {"rows", day.rows},
                                      {"bytes", day.bytes},
                                      {"ms", day.milliseconds}});
  return day;
}

StatusOr<std::vector<std::string>> Compactor::StaleDays(const CuratedTable& table,
                                                        const std::string& from,
                                                        const std::string& to) {
  const std::string today = FormatDate(clock_());
  ASSIGN_OR_RETURN(std::set<std::string> days, sources_.Days(table));
  std::vector<std::string> stale;
  for (const std::string& date : days) {
    if (date >= today || (!from.empty() && date < from) || (!to.empty() && date > to)) continue;
    ASSIGN_OR_RETURN(std::vector<SourceObject> sources, sources_.DaySources(table, date));
    ASSIGN_OR_RETURN(std::optional<DayManifest> current,
                     ReadCurrentManifest(lake_, table.name, date));
    ASSIGN_OR_RETURN(bool up_to_date, UpToDate(table, current, sources));
    if (!up_to_date) stale.push_back(date);
  }
  return stale;
}

nlohmann::json CompactReport::ToJson() const {
  nlohmann::json out = nlohmann::json::array();
  for (const CompactedDay& d : days) {
    out.push_back({{"table", d.table},
                   {"date", d.date},
                   {"outcome", d.outcome},
                   {"key", d.file_key},
                   {"version", d.version},
                   {"sources", d.sources},
                   {"rows", d.rows},
                   {"bytes", d.bytes},
                   {"ms", d.milliseconds}});
  }
  return out;
}

StatusOr<CompactReport> RunCompact(const CompactOptions& options, StopSignal& stop) {
  std::vector<const CuratedTable*> tables;
  for (const std::string& name : options.tables) {
    const CuratedTable* table = FindCuratedTable(name);
    if (table == nullptr) {
      return InvalidArgumentError(
          fmt::format("--tables: no table '{}' (quotes, global_metrics)", name));
    }
    tables.push_back(table);
  }
  if (tables.empty()) {
    for (const CuratedTable& t : CuratedTables()) tables.push_back(&t);
  }
  if (!options.from_date.empty()) RETURN_IF_ERROR(ParseDay(options.from_date).status());
  if (!options.to_date.empty()) RETURN_IF_ERROR(ParseDay(options.to_date).status());
  ASSIGN_OR_RETURN(auto lake, lake::OpenObjectStore(options.lake_url, &stop));
  Compactor compactor(*lake, options.temp_dir);
  CompactReport report;
  for (const CuratedTable* table : tables) {
    std::vector<std::string> days;
    if (!options.from_date.empty() && !options.to_date.empty()) {
      // Named days, the open one included: each is looked at, sources or not.
      ASSIGN_OR_RETURN(TimePoint day, ParseDay(options.from_date));
      for (; FormatDate(day) <= options.to_date; day += std::chrono::hours(24)) {
        days.push_back(FormatDate(day));
      }
    } else {
      ASSIGN_OR_RETURN(std::set<std::string> all, compactor.sources().Days(*table));
      const std::string today = FormatDate(SystemNow());
      for (const std::string& d : all) {
        if (!options.from_date.empty() && d < options.from_date) continue;
        if (!options.to_date.empty() ? d > options.to_date : d >= today) continue;
        days.push_back(d);
      }
    }
    for (const std::string& date : days) {
      if (stop.stopped()) return UnavailableError("compact interrupted");
      ASSIGN_OR_RETURN(CompactedDay day, compactor.CompactDay(*table, date, options.force));
      if (day.sources > 0 || day.version > 0) report.days.push_back(std::move(day));
    }
  }
  return report;
}

}  // namespace coinlake::pipeline
