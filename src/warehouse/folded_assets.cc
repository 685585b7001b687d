#include "warehouse/folded_assets.h"

#include <fmt/format.h>

#include <string>

namespace coinlake::warehouse {
namespace {

constexpr std::string_view kNewestLedgerRow = "(SELECT coalesce(max(id), 0) FROM lake_objects)";

}  // namespace

Status StartFoldingAssets(Connection& db) {
  ASSIGN_OR_RETURN(Transaction transaction, Transaction::Begin(db));
  RETURN_IF_ERROR(db.Execute("DELETE FROM assets_folded_through"));
  RETURN_IF_ERROR(db.Execute(fmt::format(
      "INSERT INTO assets_folded_through (lake_object_id) SELECT {}", kNewestLedgerRow)));
  return transaction.Commit();
}

Status WriteFoldedAssets(Connection& db, const AssetFold& fold, bool last) {
  ASSIGN_OR_RETURN(Transaction transaction, Transaction::Begin(db));
  if (!fold.empty()) {
    RETURN_IF_ERROR(db.CopyIn("COPY assets_pending FROM STDIN (FORMAT binary)", fold.AssetsCopy()));
    RETURN_IF_ERROR(
        db.CopyIn("COPY asset_names_pending FROM STDIN (FORMAT binary)", fold.NamesCopy()));
  }
  RETURN_IF_ERROR(db.Execute(
      last
          ? std::string("DELETE FROM assets_folded_through")
          : fmt::format("UPDATE assets_folded_through SET lake_object_id = {}", kNewestLedgerRow)));
  return transaction.Commit();
}

StatusOr<int64_t> RefoldAssetsOfAKilledFold(Connection& db, const ReadQuotes& read) {
  ASSIGN_OR_RETURN(Rows keys, db.Query("SELECT l.key FROM lake_objects l, assets_folded_through m "
                                       "WHERE l.id > m.lake_object_id ORDER BY l.id"));
  AssetFold fold;
  for (size_t r = 0; r < keys.size(); ++r) {
    ASSIGN_OR_RETURN(std::optional<cmc::QuotesPayload> quotes, read(keys.text(r, 0)));
    if (quotes) fold.Add(*quotes);
  }
  RETURN_IF_ERROR(WriteFoldedAssets(db, fold, true));
  return static_cast<int64_t>(keys.size());
}

}  // namespace coinlake::warehouse
