#include "pipeline/raw_put.h"

#include <gtest/gtest.h>

#include "common/bytes.h"
#include "lake/keys.h"
#include "lake/memory_object_store.h"
#include "tests/status_matchers.h"

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
  ASSERT_OK(PutRawObject(store, body_key, Gz("{\"a\":1}")));
  ASSERT_OK(PutRawObject(store, meta_key, Meta("{\"a\":1}")));

  std::string second = "{\"a\":2}";
  auto body = PutRawObject(store, body_key, Gz(second));
  auto meta = PutRawObject(store, meta_key, Meta(second));
  ASSERT_OK(body);
  ASSERT_OK(meta);
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

// A kill between a body's put and its sidecar's leaves raw/ with a body and no sidecar. A later,
// different response of that second must not slip its sidecar in beside the first body.
TEST(RawPutTest, ASidecarFollowsItsBodyWhenTheRawSidecarKeyIsFree) {
  lake::MemoryObjectStore store;
  std::string body_key = lake::RawBodyKey(lake::kListingsLatest, Second());
  std::string meta_key = lake::RawMetaKey(lake::kListingsLatest, Second());
  ASSERT_OK(PutRawObject(store, body_key, Gz("{\"a\":1}")));  // its sidecar never came

  std::string second = "{\"a\":2}";
  auto body = PutRawObject(store, body_key, Gz(second));
  ASSERT_OK(body);
  auto meta = PutRawSidecar(store, meta_key, Meta(second), *body);
  ASSERT_OK(meta);
  EXPECT_TRUE(meta->starts_with("quarantine/")) << *meta;
  EXPECT_EQ(meta->substr(0, meta->size() - 10), body->substr(0, body->size() - 8));
  EXPECT_EQ(store.Get(meta_key).status().code(), StatusCode::kNotFound);

  // A body that kept its raw/ key keeps its sidecar beside it.
  std::string other_key = lake::RawBodyKey(lake::kQuotesLatest, Second());
  std::string other_meta = lake::RawMetaKey(lake::kQuotesLatest, Second());
  auto kept = PutRawObject(store, other_key, Gz(second));
  EXPECT_EQ(*PutRawSidecar(store, other_meta, Meta(second), *kept), other_meta);
}

// The same kill seen from the spool: the first body reached raw/ and left the spool, its
// sidecar did not. After a restart within that second, the drain meets a later response's body
// (quarantined) right before the first body's sidecar: that sidecar still goes beside its body.
TEST(RawPutTest, AnotherResponsesSidecarDoesNotFollowAQuarantinedBody) {
  lake::MemoryObjectStore store;
  std::string body_key = lake::RawBodyKey(lake::kListingsLatest, Second());
  std::string meta_key = lake::RawMetaKey(lake::kListingsLatest, Second());
  std::string first = "{\"a\":1}", second = "{\"a\":2}";
  ASSERT_OK(PutRawObject(store, body_key, Gz(first)));

  auto later_body = PutRawObject(store, body_key, Gz(second));
  ASSERT_OK(later_body);
  ASSERT_TRUE(later_body->starts_with("quarantine/")) << *later_body;
  auto first_meta = PutRawSidecar(store, meta_key, Meta(first), *later_body);
  ASSERT_OK(first_meta);
  EXPECT_EQ(*first_meta, meta_key);
  EXPECT_EQ(*store.Get(meta_key), Meta(first));
  EXPECT_EQ(store.ListAll("quarantine/")->size(), 1u);  // the later body; its sidecar is to come
}

TEST(RawPutTest, OtherKeysKeepDataLoss) {
  lake::MemoryObjectStore store;
  ASSERT_OK(store.Put("curated/quotes/x.csv.gz", "one"));
  EXPECT_EQ(PutRawObject(store, "curated/quotes/x.csv.gz", "two").status().code(),
            StatusCode::kDataLoss);
}

}  // namespace
}  // namespace coinlake::pipeline
