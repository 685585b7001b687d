// The assets a set of snapshots saw, folded in the client to what the upserts of loader.cc
// need: one row per coin (the names of the latest snapshot that listed it, the latest
// date_added CMC sent, the first and last snapshot times) and one per (coin, symbol, name,
// slug) with its seen range. A load transaction folds its batch; a rebuild that folds
// (pipeline/folded_candles.h) folds every batch it loads into one, written once in a while,
// instead of a row per coin per batch. The fold is a merge: folding A then B, or A and B apart
// and merging the two in SQL (kUpsertAssets), gives the same rows.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>

#include "cmc/types.h"
#include "common/time_util.h"

namespace coinlake::warehouse {

class AssetFold {
 public:
  // The rows of one snapshot (its status.timestamp is when they were seen).
  void Add(const cmc::QuotesPayload& payload);

  bool empty() const { return coins_.empty(); }
  void Clear();

  // Binary COPY data with the columns of assets_pending / staging_assets (one row per coin,
  // in id order; date_added_seen last) and of asset_names_pending / staging_asset_names.
  std::string AssetsCopy() const;
  std::string NamesCopy() const;

 private:
  struct Coin {
    std::string symbol, name, slug;  // of the latest sighting
    TimePoint first{}, last{};
    std::optional<TimePoint> date_added;
    TimePoint date_added_seen{};
  };
  using NameKey = std::tuple<int64_t, std::string, std::string, std::string>;
  using NameView = std::tuple<int64_t, std::string_view, std::string_view, std::string_view>;
  std::map<int64_t, Coin> coins_;
  // std::less<>: looked up by views, so a name already folded copies no string.
  std::map<NameKey, std::pair<TimePoint, TimePoint>, std::less<>> names_;
};

}  // namespace coinlake::warehouse
