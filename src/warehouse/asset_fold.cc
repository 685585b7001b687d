#include "warehouse/asset_fold.h"

#include <algorithm>

#include "warehouse/copy_format.h"

namespace coinlake::warehouse {
namespace {

void AssignIfChanged(std::string& to, const std::string& from) {
  if (to != from) to = from;
}

}  // namespace

void AssetFold::Add(const cmc::QuotesPayload& payload) {
  const TimePoint seen = payload.status.timestamp;
  for (const cmc::QuoteRow& r : payload.rows) {
    auto [it, fresh] = coins_.try_emplace(r.cmc_id);
    Coin& c = it->second;
    if (fresh || seen > c.last) {
      AssignIfChanged(c.symbol, r.symbol);
      AssignIfChanged(c.name, r.name);
      AssignIfChanged(c.slug, r.slug);
      c.last = seen;
    }
    if (fresh || seen < c.first) c.first = seen;
    if (r.date_added && (!c.date_added || seen > c.date_added_seen)) {
      c.date_added = r.date_added;
      c.date_added_seen = seen;
    }
    const NameView name{r.cmc_id, r.symbol, r.name, r.slug};
    auto n = names_.find(name);
    if (n == names_.end()) {
      names_.emplace(NameKey{r.cmc_id, r.symbol, r.name, r.slug}, std::pair{seen, seen});
    } else {
      n->second.first = std::min(n->second.first, seen);
      n->second.second = std::max(n->second.second, seen);
    }
  }
}

void AssetFold::Clear() {
  coins_.clear();
  names_.clear();
}

std::string AssetFold::AssetsCopy() const {
  std::string out;
  BinaryCopyWriter w(out);
  for (const auto& [id, c] : coins_) {
    w.Row(8);
    w.Int8(id);
    w.Text(c.symbol);
    w.Text(c.name);
    w.Text(c.slug);
    w.OptionalTimestamptz(c.date_added);
    w.Timestamptz(c.first);
    w.Timestamptz(c.last);
    w.OptionalTimestamptz(c.date_added ? std::optional(c.date_added_seen) : std::nullopt);
  }
  w.Finish();
  return out;
}

std::string AssetFold::NamesCopy() const {
  std::string out;
  BinaryCopyWriter w(out);
  for (const auto& [key, range] : names_) {
    w.Row(6);
    w.Int8(std::get<0>(key));
    w.Text(std::get<1>(key));
    w.Text(std::get<2>(key));
    w.Text(std::get<3>(key));
    w.Timestamptz(range.first);
    w.Timestamptz(range.second);
  }
  w.Finish();
  return out;
}

}  // namespace coinlake::warehouse
