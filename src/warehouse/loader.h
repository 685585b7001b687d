// Loads parsed lake objects into PostgreSQL: COPY into staging tables, then one set-based
// insert into the real tables, together with the object's ledger row, in one transaction.
// A replayed object is a no-op; a different object under a loaded key is DATA_LOSS.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cmc/types.h"
#include "common/status.h"
#include "warehouse/db.h"

namespace coinlake::warehouse {

// The identity of a lake object, as the ledger records it.
struct LakeObjectRef {
  std::string key;
  std::string sha256;  // hex, of the stored (compressed) bytes
  int64_t size = 0;    // stored bytes
  std::string endpoint;
  TimePoint data_ts{};
};

struct LoadResult {
  bool already_loaded = false;  // the ledger had it: nothing was written
  int64_t rows = 0;             // quote rows newly inserted
};

class Loader {
 public:
  explicit Loader(Connection& db) : db_(db) {}

  // Loads a listings or quotes payload. On any error the transaction is rolled back: either
  // every row and the ledger row are in, or none is.
  StatusOr<LoadResult> LoadQuotes(const LakeObjectRef& object, const cmc::QuotesPayload& payload);

  // Loads several objects in one transaction (reprocess): the same per-object guarantees
  // (each object's rows commit with its ledger row; a loaded one is skipped, a changed one is
  // DATA_LOSS and nothing of the batch is written), but the candles and assets each snapshot
  // shares are merged once per batch instead of once per object. Results follow `objects`.
  struct BatchItem {
    LakeObjectRef object;
    const cmc::QuotesPayload* payload;
  };
  StatusOr<std::vector<LoadResult>> LoadQuotesBatch(const std::vector<BatchItem>& items);

 private:
  Status PrepareStaging();
  Connection& db_;
  bool staging_ready_ = false;
};

}  // namespace coinlake::warehouse
