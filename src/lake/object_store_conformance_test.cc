// One suite, every backend: the ObjectStore contract in object_store.h. Memory and file are
// instantiated here; S3 (against the fake S3) in s3_integration_test.cc.
#include "lake/object_store_conformance.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <thread>

#include "lake/file_object_store.h"
#include "lake/memory_object_store.h"
#include "tests/status_matchers.h"

namespace coinlake::lake {
namespace {

TEST_P(ObjectStoreConformance, PutThenGetAndHead) {
  std::string key = "raw/cmc/listings_latest/dt=2026-09-29/a b+c:d=e~.json.gz";
  std::string data("\x1f\x8b\0binary\xff", 11);
  ASSERT_OK(store_->Put(key, data));
  EXPECT_EQ(*store_->Get(key), data);
  EXPECT_EQ(store_->Head(key)->size, 11);
  EXPECT_EQ(store_->Get("raw/missing").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->Head("raw/missing").status().code(), StatusCode::kNotFound);
}

TEST_P(ObjectStoreConformance, SamePutIsANoOpDifferentPutNeverOverwrites) {
  ASSERT_OK(store_->Put("raw/x.json.gz", "first"));
  EXPECT_OK(store_->Put("raw/x.json.gz", "first"));
  Status second = store_->Put("raw/x.json.gz", "second");
  EXPECT_EQ(second.code(), StatusCode::kDataLoss);
  EXPECT_EQ(*store_->Get("raw/x.json.gz"), "first");
}

TEST_P(ObjectStoreConformance, DeletesOnlyDerivedObjects) {
  const std::string curated = "curated/quotes/dt=2026-09-29/quotes_2026-09-29_0123456789ab.parquet";
  ASSERT_OK(store_->Put(curated, "PAR1"));
  ASSERT_OK(store_->Put("raw/cmc/listings_latest/dt=2026-09-29/x.json.gz", "raw"));
  ASSERT_OK(store_->Put("quarantine/cmc/listings_latest/dt=2026-09-29/x.json.gz", "bad"));
  EXPECT_OK(store_->Delete(curated));
  EXPECT_EQ(store_->Head(curated).status().code(), StatusCode::kNotFound);
  EXPECT_OK(store_->Delete(curated));  // already gone: not an error
  EXPECT_EQ(store_->Delete("raw/cmc/listings_latest/dt=2026-09-29/x.json.gz").code(),
            StatusCode::kPermissionDenied);
  EXPECT_EQ(store_->Delete("quarantine/cmc/listings_latest/dt=2026-09-29/x.json.gz").code(),
            StatusCode::kPermissionDenied);
  EXPECT_EQ(store_->Delete("curated/../raw/x").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(*store_->Get("raw/cmc/listings_latest/dt=2026-09-29/x.json.gz"), "raw");
  // A deleted key may be written again (a recompaction that yields the old bytes).
  EXPECT_OK(store_->Put(curated, "PAR1"));
}

TEST_P(ObjectStoreConformance, PutFileFollowsPutsRules) {
  const std::string file = dir_.path() + "/local.parquet";
  std::string data(3 << 20, '\0');  // past one copy block
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 7 % 251);
  std::ofstream(file, std::ios::binary) << data;
  const std::string key = "curated/quotes/dt=2026-09-29/quotes_2026-09-29_0123456789ab.parquet";
  ASSERT_OK(store_->PutFile(key, file));
  EXPECT_EQ(*store_->Get(key), data);
  EXPECT_OK(store_->PutFile(key, file));  // the same bytes: a no-op
  std::ofstream(file, std::ios::binary) << "other";
  EXPECT_EQ(store_->PutFile(key, file).code(), StatusCode::kDataLoss);
  EXPECT_EQ(*store_->Get(key), data);
  EXPECT_EQ(store_->PutFile("curated/x", dir_.path() + "/missing").code(),
            StatusCode::kUnavailable);
}

TEST_P(ObjectStoreConformance, EmptyObjectsAreObjects) {
  ASSERT_OK(store_->Put("raw/empty", ""));
  EXPECT_EQ(store_->Get("raw/empty")->size(), 0u);
}

TEST_P(ObjectStoreConformance, ListIsSortedPaginatedAndPrefixed) {
  std::vector<std::string> keys;
  for (int i = 0; i < 25; ++i)
    keys.push_back(fmt::format("raw/cmc/map/dt=2026-01-{:02d}/o", 25 - i));
  keys.push_back("raw/cmc/mapx/other");
  keys.push_back("quarantine/cmc/map/q");
  for (const auto& k : keys) ASSERT_OK(store_->Put(k, k));
  std::vector<std::string> seen;
  std::optional<std::string> token;
  int pages = 0;
  do {
    auto page = store_->List("raw/cmc/map/", token, 7);
    ASSERT_OK(page);
    EXPECT_LE(page->objects.size(), 7u);
    for (auto& o : page->objects) seen.push_back(o.key);
    token = page->next_token;
    ++pages;
  } while (token);
  EXPECT_EQ(pages, 4);
  ASSERT_EQ(seen.size(), 25u);
  EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end()));
  EXPECT_EQ(seen.front(), "raw/cmc/map/dt=2026-01-01/o");
  EXPECT_EQ(store_->ListAll("raw/cmc/map")->size(), 26u);  // prefixes need not end at a '/'
  EXPECT_EQ(store_->ListAll("nothing/")->size(), 0u);
  EXPECT_EQ(store_->ListAll("")->size(), 27u);
}

TEST_P(ObjectStoreConformance, RejectsUnsafeKeys) {
  for (const char* key : {"", "/abs", "a/../b", "a//b", "trailing/", "./a", "a\nb"}) {
    EXPECT_EQ(store_->Put(key, "x").code(), StatusCode::kInvalidArgument) << key;
  }
}

TEST_P(ObjectStoreConformance, ConcurrentWritersOfOneKeyAgree) {
  std::vector<std::thread> writers;
  std::atomic<int> ok{0};
  for (int i = 0; i < 8; ++i) {
    writers.emplace_back([&] {
      if (store_->Put("raw/race", "same bytes").ok()) ++ok;
    });
  }
  for (auto& t : writers) t.join();
  EXPECT_EQ(ok.load(), 8);
  EXPECT_EQ(*store_->Get("raw/race"), "same bytes");
  EXPECT_EQ(store_->ListAll("raw/")->size(), 1u);  // no temporary files visible
}

INSTANTIATE_TEST_SUITE_P(
    Backends, ObjectStoreConformance,
    ::testing::Values(Backend{"memory",
                              [](const std::string&) -> std::unique_ptr<ObjectStore> {
                                return std::make_unique<MemoryObjectStore>();
                              }},
                      Backend{"file",
                              [](const std::string& dir) -> std::unique_ptr<ObjectStore> {
                                return std::move(FileObjectStore::Open(dir + "/lake")).value();
                              }}),
    [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace coinlake::lake
