#include "pipeline/quote_spill.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>
#include <numeric>

namespace coinlake::pipeline {
namespace {

int64_t Micros(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
}

// The optional numbers of a quote, in the schema's order (curated_tables.cc).
constexpr std::optional<double> cmc::QuoteRow::*kNumbers[] = {
    &cmc::QuoteRow::price,
    &cmc::QuoteRow::volume_24h,
    &cmc::QuoteRow::volume_change_24h,
    &cmc::QuoteRow::market_cap,
    &cmc::QuoteRow::market_cap_dominance,
    &cmc::QuoteRow::fully_diluted_market_cap,
    &cmc::QuoteRow::percent_change_1h,
    &cmc::QuoteRow::percent_change_24h,
    &cmc::QuoteRow::percent_change_7d,
    &cmc::QuoteRow::percent_change_30d,
    &cmc::QuoteRow::percent_change_60d,
    &cmc::QuoteRow::percent_change_90d,
    &cmc::QuoteRow::circulating_supply,
    &cmc::QuoteRow::total_supply,
    &cmc::QuoteRow::max_supply,
};
constexpr int kNumberCount = std::size(kNumbers);
// Bits of Record::present: the optional fields that hold a value.
constexpr uint32_t kHasRank = 1u << 0;
constexpr uint32_t kHasPairs = 1u << 1;
constexpr uint32_t kHasDateAdded = 1u << 2;
constexpr int kFirstNumberBit = 3;

}  // namespace

// One quote row, fixed-size so a range is an array on disk and in memory. Strings are ids
// into strings_ (a day has a few thousand distinct ones).
struct QuoteSpill::Record {
  int64_t snapshot_us;
  int64_t cmc_id;
  int64_t ts_us;
  int64_t cmc_rank;
  int64_t num_market_pairs;
  int64_t date_added_us;
  double numbers[kNumberCount];
  uint32_t symbol, name, slug, currency, lake_key;
  uint32_t present;
};

// An unnamed temporary file (unlinked at creation), written then read back in order.
class QuoteSpill::SpillFile {
 public:
  static StatusOr<std::unique_ptr<SpillFile>> Create(const std::string& dir) {
    std::string path = dir + "/coinlake-compact-XXXXXX";
    int fd = ::mkstemp(path.data());
    if (fd < 0) {
      return UnavailableError(
          fmt::format("cannot create a spill file in {}: {}", dir, std::strerror(errno)));
    }
    ::unlink(path.c_str());
    FILE* f = ::fdopen(fd, "w+b");
    if (f == nullptr) {
      ::close(fd);
      return UnavailableError(fmt::format("fdopen: {}", std::strerror(errno)));
    }
    auto file = std::unique_ptr<SpillFile>(new SpillFile(f));
    std::setvbuf(f, nullptr, _IOFBF, 1 << 20);
    return file;
  }
  ~SpillFile() { std::fclose(f_); }

  Status Write(const Record& r) {
    if (std::fwrite(&r, sizeof r, 1, f_) != 1) return WriteError();
    ++records_;
    return Status::Ok();
  }
  int64_t records() const { return records_; }

  // Calls `each` with every record, in the order written, a block at a time.
  template <typename F>
  Status ForEach(F each) {
    if (std::fflush(f_) != 0 || std::fseek(f_, 0, SEEK_SET) != 0) return WriteError();
    std::vector<Record> block(4096);
    int64_t left = records_;
    while (left > 0) {
      size_t want = static_cast<size_t>(std::min<int64_t>(left, block.size()));
      if (std::fread(block.data(), sizeof(Record), want, f_) != want) {
        return DataLossError("a compaction spill file was cut short");
      }
      for (size_t i = 0; i < want; ++i) each(block[i]);
      left -= static_cast<int64_t>(want);
    }
    return Status::Ok();
  }

  // Replaces `all` with every record (its capacity reused from range to range).
  Status ReadAll(std::vector<Record>& all) {
    all.clear();
    all.reserve(static_cast<size_t>(records_));
    return ForEach([&](const Record& r) { all.push_back(r); });
  }

 private:
  explicit SpillFile(FILE* f) : f_(f) {}
  static Status WriteError() {
    return UnavailableError(
        fmt::format("writing a compaction spill file failed: {}", std::strerror(errno)));
  }
  FILE* f_;
  int64_t records_ = 0;
};

QuoteSpill::QuoteSpill(std::string temp_dir, int64_t budget_bytes)
    : temp_dir_(std::move(temp_dir)), budget_bytes_(budget_bytes) {}

QuoteSpill::~QuoteSpill() = default;

void QuoteSpill::PlanRanges(std::vector<int64_t> sample_ids, int64_t expected_rows) {
  std::sort(sample_ids.begin(), sample_ids.end());
  sample_ids.erase(std::unique(sample_ids.begin(), sample_ids.end()), sample_ids.end());
  int64_t ranges =
      (expected_rows * static_cast<int64_t>(sizeof(Record)) + budget_bytes_ - 1) / budget_bytes_;
  ranges = std::clamp<int64_t>(ranges, 1, static_cast<int64_t>(sample_ids.size()));
  bounds_.clear();
  for (int64_t i = 1; i < ranges; ++i) {
    bounds_.push_back(sample_ids[static_cast<size_t>(i) * sample_ids.size() / ranges]);
  }
}

uint32_t QuoteSpill::Intern(std::string_view s) {
  auto it = string_ids_.find(s);
  if (it != string_ids_.end()) return it->second;
  auto id = static_cast<uint32_t>(strings_.size());
  strings_.emplace_back(s);
  string_ids_.emplace(strings_.back(), id);
  return id;
}

uint32_t QuoteSpill::InternRepeated(std::string_view s, uint32_t& last) {
  if (last == UINT32_MAX || strings_[last] != s) last = Intern(s);
  return last;
}

Status QuoteSpill::Add(TimePoint snapshot, const cmc::QuoteRow& row, std::string_view lake_key) {
  if (ranges_.empty()) {
    for (size_t i = 0; i <= bounds_.size(); ++i) {
      ASSIGN_OR_RETURN(auto file, SpillFile::Create(temp_dir_));
      ranges_.push_back(std::move(file));
    }
  }
  Record r{};
  r.snapshot_us = Micros(snapshot);
  r.cmc_id = row.cmc_id;
  r.ts_us = Micros(row.ts);
  if (row.cmc_rank) r.cmc_rank = *row.cmc_rank, r.present |= kHasRank;
  if (row.num_market_pairs) r.num_market_pairs = *row.num_market_pairs, r.present |= kHasPairs;
  if (row.date_added) r.date_added_us = Micros(*row.date_added), r.present |= kHasDateAdded;
  for (int i = 0; i < kNumberCount; ++i) {
    const std::optional<double>& v = row.*kNumbers[i];
    if (v) r.numbers[i] = *v, r.present |= 1u << (kFirstNumberBit + i);
  }
  auto [coin, first_seen] = coin_strings_.try_emplace(row.cmc_id);
  CoinStrings& names = coin->second;
  if (first_seen || strings_[names.symbol] != row.symbol || strings_[names.name] != row.name ||
      strings_[names.slug] != row.slug) {
    names = {Intern(row.symbol), Intern(row.name), Intern(row.slug)};
  }
  r.symbol = names.symbol;
  r.name = names.name;
  r.slug = names.slug;
  r.currency = InternRepeated(row.quote_currency, last_currency_);
  r.lake_key = InternRepeated(lake_key, last_key_);
  size_t range = std::upper_bound(bounds_.begin(), bounds_.end(), row.cmc_id) - bounds_.begin();
  RETURN_IF_ERROR(ranges_[range]->Write(r));
  ++rows_;
  return Status::Ok();
}

Status QuoteSpill::Emit(parquet::Writer& writer) {
  for (auto& range : ranges_) {
    RETURN_IF_ERROR(EmitFile(*range, writer, 0));
    range.reset();  // frees its buffer and space at once
  }
  std::vector<Record>().swap(records_);
  std::vector<uint32_t>().swap(order_);
  return Status::Ok();
}

Status QuoteSpill::EmitFile(SpillFile& file, parquet::Writer& writer, int depth) {
  const int64_t bytes = file.records() * static_cast<int64_t>(sizeof(Record));
  std::map<int64_t, int64_t> per_coin;
  if (bytes > 2 * budget_bytes_ && depth < 4) {
    RETURN_IF_ERROR(file.ForEach([&](const Record& r) { ++per_coin[r.cmc_id]; }));
  }
  if (per_coin.size() < 2) {  // fits (or one coin, which cannot be split)
    RETURN_IF_ERROR(file.ReadAll(records_));
    return EmitSorted(writer);
  }
  // Split by the coin counts: each part about one budget.
  const int64_t per_part = std::max<int64_t>(1, budget_bytes_ / sizeof(Record));
  std::vector<int64_t> bounds;
  int64_t filled = 0;
  for (const auto& [id, count] : per_coin) {
    if (filled > 0 && filled + count > per_part) {
      bounds.push_back(id);
      filled = 0;
    }
    filled += count;
  }
  std::vector<std::unique_ptr<SpillFile>> parts;
  for (size_t i = 0; i <= bounds.size(); ++i) {
    ASSIGN_OR_RETURN(auto part, SpillFile::Create(temp_dir_));
    parts.push_back(std::move(part));
  }
  Status written = Status::Ok();
  RETURN_IF_ERROR(file.ForEach([&](const Record& r) {
    size_t i = std::upper_bound(bounds.begin(), bounds.end(), r.cmc_id) - bounds.begin();
    if (written.ok()) written = parts[i]->Write(r);
  }));
  RETURN_IF_ERROR(written);
  for (auto& part : parts) {
    RETURN_IF_ERROR(EmitFile(*part, writer, depth + 1));
    part.reset();
  }
  return Status::Ok();
}

Status QuoteSpill::EmitSorted(parquet::Writer& writer) {
  const std::vector<Record>& records = records_;
  std::vector<uint32_t>& order = order_;
  // By coin first, with a counting sort: stable, and it reads the records in the order they lie
  // (a comparison sort of the whole range jumped between them, a cache miss each). A coin's
  // records were added snapshot after snapshot, so its run is usually in order already; it is
  // sorted only when not.
  std::vector<int64_t> ids;
  for (const Record& r : records) {
    if (ids.empty() || ids.back() != r.cmc_id) ids.push_back(r.cmc_id);
  }
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  std::vector<uint32_t> starts(ids.size() + 1, 0);
  auto coin_of = [&](const Record& r) {
    return static_cast<size_t>(std::lower_bound(ids.begin(), ids.end(), r.cmc_id) - ids.begin());
  };
  for (const Record& r : records) ++starts[coin_of(r) + 1];
  std::partial_sum(starts.begin(), starts.end(), starts.begin());
  order.resize(records.size());
  std::vector<uint32_t> next(starts.begin(), starts.end() - 1);
  for (uint32_t i = 0; i < records.size(); ++i) order[next[coin_of(records[i])]++] = i;
  auto before = [&](uint32_t a, uint32_t b) {
    const Record& x = records[a];
    const Record& y = records[b];
    if (x.currency != y.currency) return strings_[x.currency] < strings_[y.currency];
    if (x.snapshot_us != y.snapshot_us) return x.snapshot_us < y.snapshot_us;
    return a < b;  // the order added: deterministic output
  };
  for (size_t c = 0; c < ids.size(); ++c) {
    auto first = order.begin() + starts[c], last = order.begin() + starts[c + 1];
    if (!std::is_sorted(first, last, before)) std::sort(first, last, before);
  }
  for (size_t k = 0; k < order.size(); ++k) {
    // The records of one coin lie a range's width apart: fetch ahead what the next rows read.
    if (k + 8 < order.size()) {
      const char* ahead = reinterpret_cast<const char*>(&records[order[k + 8]]);
      for (size_t line = 0; line < sizeof(Record); line += 64) __builtin_prefetch(ahead + line);
    }
    const Record& r = records[order[k]];
    writer.AppendTimestampMicros(r.snapshot_us);
    writer.AppendInt64(r.cmc_id);
    writer.AppendString(strings_[r.symbol]);
    writer.AppendString(strings_[r.name]);
    writer.AppendString(strings_[r.slug]);
    writer.AppendString(strings_[r.currency]);
    writer.AppendTimestampMicros(r.ts_us);
    if (r.present & kHasRank)
      writer.AppendInt64(r.cmc_rank);
    else
      writer.AppendNull();
    if (r.present & kHasPairs)
      writer.AppendInt64(r.num_market_pairs);
    else
      writer.AppendNull();
    for (int n = 0; n < kNumberCount; ++n) {
      if (r.present & (1u << (kFirstNumberBit + n))) {
        writer.AppendDouble(r.numbers[n]);
      } else {
        writer.AppendNull();
      }
    }
    if (r.present & kHasDateAdded)
      writer.AppendTimestampMicros(r.date_added_us);
    else
      writer.AppendNull();
    writer.AppendString(strings_[r.lake_key]);
    RETURN_IF_ERROR(writer.EndRow());
  }
  return Status::Ok();
}

}  // namespace coinlake::pipeline
