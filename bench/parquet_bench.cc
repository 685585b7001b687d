// Throughput and size of coinlake's Parquet writer on a quotes-like table: 16 columns the way
// a compaction of listings snapshots has them (ids and names repeat per coin, prices do not).
//
//   parquet_bench [ROWS] [OUT.parquet] [OUT.ndjson] [PAGE_ROWS]
//
// Prints rows/s and bytes for the writer alone (values already in memory). With OUT.ndjson it
// also writes the same rows as JSON lines, for bench/parquet_vs_duckdb.mjs to convert with
// DuckDB and compare sizes.
#include <charconv>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "parquet/writer.h"

namespace {

using coinlake::parquet::Type;

struct Coin {
  int64_t id;
  std::string symbol, name, slug;
  double price, supply;
  bool has_max_supply;
};

std::string Num(double v) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, end);
}

}  // namespace

int main(int argc, char** argv) {
  const int64_t rows = argc > 1 ? std::stoll(argv[1]) : 1'000'000;
  const std::string out = argc > 2 ? argv[2] : "";
  const std::string ndjson = argc > 3 ? argv[3] : "";
  coinlake::parquet::WriterOptions options;
  if (argc > 4) options.page_rows = std::stoll(argv[4]);
  constexpr int kCoins = 5000;

  std::mt19937_64 rng(42);
  std::uniform_real_distribution<double> unit(0, 1);
  std::vector<Coin> coins;
  for (int i = 0; i < kCoins; ++i) {
    const std::string sym = "C" + std::to_string(i * 7 % 9973);
    coins.push_back({1 + i * 3, sym, "Coin " + sym + " Network", "coin-" + sym + "-network",
                     std::exp(unit(rng) * 20 - 8), 1e6 + unit(rng) * 1e10, i % 3 == 0});
  }

  coinlake::parquet::Schema schema = {
      {"snapshot_ts", Type::kTimestampMicros, false},
      {"cmc_id", Type::kInt64, false},
      {"symbol", Type::kString, false},
      {"name", Type::kString, false},
      {"slug", Type::kString, false},
      {"quote_currency", Type::kString, false},
      {"cmc_rank", Type::kInt64, true},
      {"price", Type::kDouble, false},
      {"volume_24h", Type::kDouble, true},
      {"market_cap", Type::kDouble, true},
      {"percent_change_1h", Type::kDouble, true},
      {"percent_change_24h", Type::kDouble, true},
      {"percent_change_7d", Type::kDouble, true},
      {"circulating_supply", Type::kDouble, true},
      {"max_supply", Type::kDouble, true},
      {"last_updated", Type::kTimestampMicros, true},
  };

  // The rows, generated before the clock starts: the bench times the writer, not the data.
  struct Row {
    int64_t ts, last_updated;
    int coin;
    double price, volume, change_1h, change_24h, change_7d;
  };
  std::vector<Row> data(static_cast<size_t>(rows));
  int64_t ts = 1'767'225'600'000'000;  // 2026-01-01T00:00:00Z
  for (int64_t r = 0; r < rows; ++r) {
    const int c = static_cast<int>(r % kCoins);
    if (c == 0 && r > 0) ts += 300'000'000;  // a snapshot every 5 minutes
    Coin& coin = coins[static_cast<size_t>(c)];
    coin.price *= 1 + (unit(rng) - 0.5) * 0.002;
    data[static_cast<size_t>(r)] = {ts,
                                    ts - static_cast<int64_t>(unit(rng) * 60e6),
                                    c,
                                    coin.price,
                                    coin.price * coin.supply * unit(rng) * 0.1,
                                    (unit(rng) - 0.5) * 2,
                                    (unit(rng) - 0.5) * 10,
                                    (unit(rng) - 0.5) * 30};
  }

  coinlake::parquet::StringSink memory;
  std::unique_ptr<coinlake::parquet::FileSink> file;
  coinlake::parquet::Sink* sink = &memory;
  if (!out.empty()) {
    auto created = coinlake::parquet::FileSink::Create(out);
    if (!created.ok()) return std::fprintf(stderr, "%s\n", created.status().ToString().c_str()), 1;
    file = std::move(*created);
    sink = file.get();
  }
  const auto start = std::chrono::steady_clock::now();
  const std::clock_t cpu_start = std::clock();  // CPU time: the machine may be shared
  auto writer = coinlake::parquet::Writer::Create(schema, options, sink);
  if (!writer.ok()) return std::fprintf(stderr, "%s\n", writer.status().ToString().c_str()), 1;
  auto& w = **writer;
  for (const Row& row : data) {
    const Coin& coin = coins[static_cast<size_t>(row.coin)];
    w.AppendTimestampMicros(row.ts);
    w.AppendInt64(coin.id);
    w.AppendString(coin.symbol);
    w.AppendString(coin.name);
    w.AppendString(coin.slug);
    w.AppendString("USD");
    w.AppendInt64(row.coin + 1);
    w.AppendDouble(row.price);
    w.AppendDouble(row.volume);
    w.AppendDouble(row.price * coin.supply);
    w.AppendDouble(row.change_1h);
    w.AppendDouble(row.change_24h);
    w.AppendDouble(row.change_7d);
    w.AppendDouble(coin.supply);
    if (coin.has_max_supply) {
      w.AppendDouble(coin.supply * 2);
    } else {
      w.AppendNull();
    }
    w.AppendTimestampMicros(row.last_updated);
    if (auto s = w.EndRow(); !s.ok()) return std::fprintf(stderr, "%s\n", s.ToString().c_str()), 1;
  }
  if (auto s = w.Close(); !s.ok()) return std::fprintf(stderr, "%s\n", s.ToString().c_str()), 1;
  if (file) {
    if (auto s = file->Close(); !s.ok())
      return std::fprintf(stderr, "%s\n", s.ToString().c_str()), 1;
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  long bytes = file ? 0 : static_cast<long>(memory.data().size());
  if (file) {
    if (FILE* f = std::fopen(out.c_str(), "rb")) {
      std::fseek(f, 0, SEEK_END);
      bytes = std::ftell(f);
      std::fclose(f);
    }
  }
  const double cpu = static_cast<double>(std::clock() - cpu_start) / CLOCKS_PER_SEC;
  std::printf(
      "rows=%lld columns=16 seconds=%.3f rows_per_second=%.0f cpu_seconds=%.3f "
      "rows_per_cpu_second=%.0f bytes=%ld\n",
      static_cast<long long>(rows), seconds, static_cast<double>(rows) / seconds, cpu,
      static_cast<double>(rows) / cpu, bytes);

  if (!ndjson.empty()) {
    std::ofstream j(ndjson);
    for (const Row& row : data) {
      const Coin& coin = coins[static_cast<size_t>(row.coin)];
      j << "{\"snapshot_ts\":" << row.ts << ",\"cmc_id\":" << coin.id << ",\"symbol\":\""
        << coin.symbol << "\",\"name\":\"" << coin.name << "\",\"slug\":\"" << coin.slug
        << "\",\"quote_currency\":\"USD\",\"cmc_rank\":" << row.coin + 1
        << ",\"price\":" << Num(row.price) << ",\"volume_24h\":" << Num(row.volume)
        << ",\"market_cap\":" << Num(row.price * coin.supply)
        << ",\"percent_change_1h\":" << Num(row.change_1h)
        << ",\"percent_change_24h\":" << Num(row.change_24h)
        << ",\"percent_change_7d\":" << Num(row.change_7d)
        << ",\"circulating_supply\":" << Num(coin.supply)
        << ",\"max_supply\":" << (coin.has_max_supply ? Num(coin.supply * 2) : "null")
        << ",\"last_updated\":" << row.last_updated << "}\n";
    }
  }
  return 0;
}
