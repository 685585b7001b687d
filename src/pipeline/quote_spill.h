// The quotes of one curated day, put in order (cmc_id, quote_currency, snapshot_ts) with memory
// bounded whatever the day's size: rows are spilled as fixed-size records to temporary files,
// one per range of coin ids, and each range is sorted and written on its own. A range that grew
// past its budget (the ranges are cut from the first snapshot's coins) is split again by the
// coin counts it holds.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "cmc/types.h"
#include "common/status.h"
#include "parquet/writer.h"

namespace coinlake::pipeline {

class QuoteSpill {
 public:
  // `temp_dir`: where the spill files go (unlinked at once, so nothing is left behind).
  // `budget_bytes`: the records of one range held in memory at a time.
  QuoteSpill(std::string temp_dir, int64_t budget_bytes);
  ~QuoteSpill();

  // Cuts the coin-id ranges so that about `expected_rows` spread like `sample_ids` (one
  // snapshot's coins) fill each range to the budget. Before the first Add; without it, one range.
  void PlanRanges(std::vector<int64_t> sample_ids, int64_t expected_rows);

  Status Add(TimePoint snapshot, const cmc::QuoteRow& row, std::string_view lake_key);

  // Appends every row to `writer` (its schema: QuotesSchema()), in order; rows equal in the order
  // key keep the order they were added in.
  Status Emit(parquet::Writer& writer);

  int64_t rows() const { return rows_; }

 private:
  struct Record;
  class SpillFile;

  uint32_t Intern(std::string_view s);
  // Intern for a string that is usually the one interned last in `last` (a source's key, its
  // quote currency): one comparison instead of a hash lookup.
  uint32_t InternRepeated(std::string_view s, uint32_t& last);
  Status EmitFile(SpillFile& file, parquet::Writer& writer, int depth);
  // Sorts records_ and appends them to `writer`.
  Status EmitSorted(parquet::Writer& writer);

  std::string temp_dir_;
  int64_t budget_bytes_;
  std::vector<int64_t> bounds_;  // range i holds ids < bounds_[i] (and >= bounds_[i-1])
  std::vector<std::unique_ptr<SpillFile>> ranges_;
  // The range being emitted and its order: kept from range to range (first-touching a range's
  // pages each time cost as much as sorting it).
  std::vector<Record> records_;
  std::vector<uint32_t> order_;
  // Transparent, so a lookup by string_view allocates nothing (five per row).
  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::vector<std::string> strings_;
  std::unordered_map<std::string, uint32_t, StringHash, std::equal_to<>> string_ids_;
  // A coin's symbol, name and slug ids as last seen: the same in nearly every snapshot.
  struct CoinStrings {
    uint32_t symbol, name, slug;
  };
  std::unordered_map<int64_t, CoinStrings> coin_strings_;
  uint32_t last_currency_ = UINT32_MAX, last_key_ = UINT32_MAX;
  int64_t rows_ = 0;
};

}  // namespace coinlake::pipeline
