#include "pipeline/raw_put.h"

#include <gtest/gtest.h>

#include "common/bytes.h"
#include "lake/keys.h"
#include "lake/memory_object_store.h"

namespace coinlake::pipeline {
namespace {

TimePoint Second() { return *ParseIso8601("2026-11-27T10:05:00.123Z"); }

std::string Gz(std::string_view body) { return *GzipCompress(body); }

std::string Meta(std::string_view body) {
  return "{\"body_sha256\": \"" + Sha256Hex(body) + "\", \"http_status\": 200}\n";
}

TEST(RawPutTest, FirstResponseOfASecondKeepsTheRawKey) {
  lake::MemoryObjectStore store;
  std::string body_key = lake::RawBodyKey(lake::kListingsLatest, Second());
  ASSERT_EQ(*PutRawObject(store, body_key, Gz("{\"a\":1}")), body_key);
  // The same bytes again (a replayed spool): a no-op under the same key.
  EXPECT_EQ(*PutRawObject(store, body_key, Gz("{\"a\":1}")), body_key);
  EXPECT_EQ(store.ListAll("quarantine/")->size(), 0u);
}

TEST(RawPutTest, ADifferentResponseOfTheSameSecondGoesToQuarantineWithItsSidecar) {
  lake::MemoryObjectStore store;
  std::string body_key = lake::RawBodyKey(lake::kListingsLatest, Second());
  std::string meta_key = lake::RawMetaKey(lake::kListingsLatest, Second());
  ASSERT_TRUE(PutRawObject(store, body_key, Gz("{\"a\":1}")).ok());
  ASSERT_TRUE(PutRawObject(store, meta_key, Meta("{\"a\":1}")).ok());

  std::string second = "{\"a\":2}";
  auto body = PutRawObject(store, body_key, Gz(second));
  auto meta = PutRawObject(store, meta_key, Meta(second));
  ASSERT_TRUE(body.ok()) << body.status().ToString();
  ASSERT_TRUE(meta.ok()) << meta.status().ToString();
  std::string sha12 = Sha256Hex(second).substr(0, 12);
  EXPECT_EQ(*body,
            "quarantine/cmc/listings_latest/dt=2026-11-27/listings_latest_2026-11-27T10-05-00Z_" +
                sha12 + ".json.gz");
  EXPECT_EQ(*meta,
            "quarantine/cmc/listings_latest/dt=2026-11-27/listings_latest_2026-11-27T10-05-00Z_" +
                sha12 + ".meta.json");
  // Nothing lost, nothing overwritten: raw/ still holds the first, quarantine/ the second.
  EXPECT_EQ(*GzipDecompress(*store.Get(body_key)), "{\"a\":1}");
  EXPECT_EQ(*GzipDecompress(*store.Get(*body)), second);
  // Idempotent: the second response spooled again lands on the same quarantine key.
  EXPECT_EQ(*PutRawObject(store, body_key, Gz(second)), *body);
  EXPECT_EQ(store.ListAll("")->size(), 4u);
}

TEST(RawPutTest, OtherKeysKeepDataLoss) {
  lake::MemoryObjectStore store;
  ASSERT_TRUE(store.Put("curated/quotes/x.csv.gz", "one").ok());
  EXPECT_EQ(PutRawObject(store, "curated/quotes/x.csv.gz", "two").status().code(),
            StatusCode::kDataLoss);
}

}  // namespace
}  // namespace coinlake::pipeline
