#include "pipeline/curated.h"

#include <gtest/gtest.h>

#include "cmc/parser.h"
#include "common/bytes.h"
#include "lake/keys.h"
#include "lake/memory_object_store.h"
#include "tests/status_matchers.h"
#include "tests/test_support.h"

namespace coinlake::pipeline {
namespace {

TEST(CuratedQuotesTest, OneLinePerRowWithAHeaderAndEmptyNulls) {
  cmc::QuotesPayload payload;
  payload.status.timestamp = *ParseIso8601("2026-09-29T03:55:03.728Z");
  cmc::QuoteRow btc;
  btc.cmc_id = 1;
  btc.symbol = "BTC";
  btc.name = "Bitcoin";
  btc.slug = "bitcoin";
  btc.quote_currency = "USD";
  btc.ts = *ParseIso8601("2026-09-29T03:54:00Z");
  btc.cmc_rank = 1;
  btc.price = 65432.1;
  btc.max_supply = 21000000;
  cmc::QuoteRow odd;
  odd.cmc_id = 99;
  odd.symbol = "A,B";
  odd.name = "Say \"hi\"";
  odd.quote_currency = "USD";
  odd.ts = btc.ts;
  payload.rows = {btc, odd};
  std::string csv = CuratedQuotesCsv(payload);
  std::string expected = std::string(kCuratedQuotesHeader) + "\n" +
                         "2026-09-29T03:55:03.728Z,1,BTC,Bitcoin,bitcoin,USD,"
                         "2026-09-29T03:54:00.000Z,1,,65432.1,,,,,,,,,,,,,,21000000,\n"
                         "2026-09-29T03:55:03.728Z,99,\"A,B\",\"Say \"\"hi\"\"\",,USD,"
                         "2026-09-29T03:54:00.000Z,,,,,,,,,,,,,,,,,,\n";
  EXPECT_EQ(csv, expected);
  EXPECT_EQ(CuratedQuotesCsv(payload), csv);  // deterministic
  cmc::QuotesPayload empty;
  EXPECT_EQ(CuratedQuotesCsv(empty), std::string(kCuratedQuotesHeader) + "\n");
}

TEST(CuratedQuotesTest, PutCuratedQuotesForARawListingsObjectIsIdempotent) {
  std::string body = coinlake::testing::ReadFixture(
      "listings_latest_v1_limit2_raw_underwater-cmc_2026-09-29.json");
  auto status = cmc::ParseStatus(body);
  ASSERT_OK(status);
  std::string raw_key = lake::RawBodyKey(lake::kListingsLatest, status->timestamp);
  lake::MemoryObjectStore store;
  ASSERT_OK(PutCuratedQuotes(store, raw_key, *GzipCompress(body)));
  ASSERT_OK(PutCuratedQuotes(store, raw_key, body));  // same CSV again: a no-op
  auto stored = store.Get(lake::CuratedQuotesKey(status->timestamp));
  ASSERT_OK(stored);
  std::string csv = *GzipDecompress(*stored);
  EXPECT_TRUE(csv.starts_with(std::string(kCuratedQuotesHeader) + "\n"));
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 3);  // header + 2 coins
  // Sidecars and other endpoints are not curated.
  ASSERT_OK(
      PutCuratedQuotes(store, lake::RawMetaKey(lake::kListingsLatest, status->timestamp), "{}"));
  EXPECT_EQ(store.ListAll("")->size(), 1u);
}

}  // namespace
}  // namespace coinlake::pipeline
