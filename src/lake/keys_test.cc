#include "lake/keys.h"

#include <gtest/gtest.h>

#include "tests/status_matchers.h"

namespace coinlake::lake {
namespace {

TimePoint At(const char* iso) { return *ParseIso8601(iso); }

TEST(KeysTest, LayoutIsExactlyTheDocumentedOne) {
  TimePoint t = At("2026-09-29T03:55:03.728Z");
  EXPECT_EQ(RawBodyKey(kListingsLatest, t),
            "raw/cmc/listings_latest/dt=2026-09-29/listings_latest_2026-09-29T03-55-03Z.json.gz");
  EXPECT_EQ(RawMetaKey(kListingsLatest, t),
            "raw/cmc/listings_latest/dt=2026-09-29/listings_latest_2026-09-29T03-55-03Z.meta.json");
  EXPECT_EQ(QuarantineKey(kQuotesLatest, t, "0123456789abcdef0123"),
            "quarantine/cmc/quotes_latest/dt=2026-09-29/"
            "quotes_latest_2026-09-29T03-55-03Z_0123456789ab.json.gz");
  EXPECT_EQ(CuratedFileKey("quotes", "2026-09-29", "0123456789ab"),
            "curated/quotes/dt=2026-09-29/quotes_2026-09-29_0123456789ab.parquet");
  EXPECT_EQ(ManifestKey("quotes", "2026-09-29", 12),
            "curated/_manifests/quotes/dt=2026-09-29/v000012.json");
  EXPECT_EQ(ParseManifestVersion(ManifestKey("quotes", "2026-09-29", 12)), 12);
  EXPECT_EQ(ParseManifestVersion("curated/_manifests/quotes/dt=2026-09-29/x.json"), 0);
  EXPECT_EQ(RawPrefix(kGlobalMetricsLatest), "raw/cmc/global_metrics_latest/");
}

TEST(KeysTest, ParseInvertsTheLayout) {
  TimePoint t = At("2025-02-08T22:41:18.000Z");
  auto body = ParseRawKey(RawBodyKey(kListingsLatest, t));
  ASSERT_OK(body);
  EXPECT_EQ(body->endpoint, "listings_latest");
  EXPECT_EQ(body->data_time, t);
  EXPECT_FALSE(body->is_meta);
  auto meta = ParseRawKey(RawMetaKey(kMap, t));
  ASSERT_OK(meta);
  EXPECT_TRUE(meta->is_meta);
  EXPECT_EQ(meta->endpoint, "map");
}

// A historical key is made from its request: the window's start and the request's digest.
TEST(KeysTest, HistoricalKeysCarryTheirRequest) {
  TimePoint start = At("2026-11-06T00:00:00Z");
  std::string key = RawBodyKey(kQuotesHistorical, start, "1h-5c-0a1b2c3d4e");
  EXPECT_EQ(key,
            "raw/cmc/quotes_historical/dt=2026-11-06/"
            "quotes_historical_2026-11-06T00-00-00Z_1h-5c-0a1b2c3d4e.json.gz");
  ASSERT_OK_AND_ASSIGN(RawKey parsed, ParseRawKey(key));
  EXPECT_EQ(parsed.endpoint, kQuotesHistorical);
  EXPECT_EQ(parsed.data_time, start);
  EXPECT_EQ(parsed.request, "1h-5c-0a1b2c3d4e");
  EXPECT_FALSE(parsed.is_meta);
  ASSERT_OK_AND_ASSIGN(RawKey meta, ParseRawKey(RawMetaKey(kQuotesHistorical, start, "x-1")));
  EXPECT_TRUE(meta.is_meta);
  EXPECT_EQ(meta.request, "x-1");
  EXPECT_TRUE(IsSidecarOf(RawMetaKey(kOhlcvHistorical, start, "d"),
                          RawBodyKey(kOhlcvHistorical, start, "d")));
  // Only a digest may follow the time: no upper case, no second underscore, nothing empty.
  for (const char* bad : {"_1H", "_a_b", "_", "x", "_a.b"}) {
    EXPECT_FALSE(ParseRawKey(std::string("raw/cmc/quotes_historical/dt=2026-11-06/"
                                         "quotes_historical_2026-11-06T00-00-00Z") +
                             bad + ".json.gz")
                     .ok())
        << bad;
  }
  EXPECT_TRUE(IsKnownEndpoint(kListingsHistorical));
  EXPECT_TRUE(IsKnownEndpoint(kGlobalMetricsHistorical));
}

TEST(KeysTest, ParseRejectsOtherKeys) {
  EXPECT_FALSE(ParseRawKey("curated/quotes/dt=2026-09-29/quotes_2026-09-29T03-55-03Z.csv.gz").ok());
  EXPECT_FALSE(
      ParseRawKey(
          "raw/cmc/listings_latest/dt=2026-09-30/listings_latest_2026-09-29T03-55-03Z.json.gz")
          .ok());
  EXPECT_FALSE(
      ParseRawKey("raw/cmc/listings_latest/dt=2026-09-29/map_2026-09-29T03-55-03Z.json.gz").ok());
  EXPECT_FALSE(
      ParseRawKey("raw/cmc/listings_latest/dt=2026-09-29/listings_latest_2026-09-29T03-55-03Z.json")
          .ok());
  EXPECT_FALSE(
      ParseRawKey("raw/cmc/listings_latest/listings_latest_2026-09-29T03-55-03Z.json.gz").ok());
}

// A body and its sidecar, raw or quarantined, map onto each other by key alone.
TEST(KeysTest, BodyAndSidecarKeysMapOntoEachOther) {
  auto t = ParseIso8601("2026-09-29T03:55:03.728Z");
  ASSERT_OK(t);
  std::string body = RawBodyKey(kListingsLatest, *t), meta = RawMetaKey(kListingsLatest, *t);
  EXPECT_TRUE(IsBodyKey(body));
  EXPECT_FALSE(IsSidecarKey(body));
  EXPECT_TRUE(IsSidecarKey(meta));
  EXPECT_EQ(SidecarKeyOf(body), meta);
  EXPECT_EQ(BodyKeyOf(meta), body);
  EXPECT_TRUE(IsSidecarOf(meta, body));
  std::string quarantined = QuarantineKey(kListingsLatest, *t, "0123456789abcdef");
  EXPECT_EQ(SidecarKeyOf(quarantined),
            "quarantine/cmc/listings_latest/dt=2026-09-29/"
            "listings_latest_2026-09-29T03-55-03Z_0123456789ab.meta.json");
  EXPECT_TRUE(IsSidecarOf(SidecarKeyOf(quarantined), quarantined));
  EXPECT_FALSE(IsSidecarOf(meta, quarantined));  // same second, other body
  EXPECT_FALSE(IsSidecarOf(meta, ""));
}

}  // namespace
}  // namespace coinlake::lake
