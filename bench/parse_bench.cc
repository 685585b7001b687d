// Parsing throughput on one listings payload: our parser (rows built) against simdjson's own
// On-Demand walk over every coin field of the same bytes (no rows), the ceiling we aim at.
// Usage: parse_bench FILE [--benchmark_* flags]   (bench/parse.sh makes FILE and runs it)
#include <benchmark/benchmark.h>
#include <simdjson.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include "cmc/parser.h"

namespace {

std::string g_body;

void BM_CoinlakeParseListings(benchmark::State& state) {
  size_t rows = 0;
  for (auto _ : state) {
    auto payload = coinlake::cmc::ParseListings(g_body);
    if (!payload.ok()) {
      state.SkipWithError(payload.status().ToString().c_str());
      return;
    }
    rows = payload->rows.size();
    benchmark::DoNotOptimize(payload->rows.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * g_body.size()));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * rows));
}

// Touches every scalar of every coin the way a row builder must (numbers as double, strings
// unescaped), and nothing else: no allocation, no row.
void WalkValue(simdjson::ondemand::value v, double& sink, size_t& strings) {
  switch (v.type()) {
    case simdjson::ondemand::json_type::object:
      for (auto field : v.get_object()) {
        std::string_view key = field.unescaped_key();
        strings += key.size();
        WalkValue(field.value(), sink, strings);
      }
      break;
    case simdjson::ondemand::json_type::array:
      for (auto element : v.get_array()) WalkValue(element.value(), sink, strings);
      break;
    case simdjson::ondemand::json_type::number:
      sink += double(v.get_double());
      break;
    case simdjson::ondemand::json_type::string:
      strings += std::string_view(v.get_string()).size();
      break;
    default:
      break;
  }
}

void BM_SimdjsonRawWalk(benchmark::State& state) {
  simdjson::ondemand::parser parser;
  size_t coins = 0;
  for (auto _ : state) {
    simdjson::padded_string padded(g_body);  // our parser pays for this copy too
    auto doc = parser.iterate(padded);
    double sink = 0;
    size_t strings = 0;
    coins = 0;
    for (auto field : doc.get_object()) {
      std::string_view key = field.unescaped_key();
      if (key == "data") {
        for (auto coin : field.value().get_array()) {
          WalkValue(coin.value(), sink, strings);
          ++coins;
        }
      } else {
        WalkValue(field.value(), sink, strings);
      }
    }
    benchmark::DoNotOptimize(sink);
    benchmark::DoNotOptimize(strings);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * g_body.size()));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * coins));
}

BENCHMARK(BM_CoinlakeParseListings)->Unit(benchmark::kMillisecond)->MinTime(2.0);
BENCHMARK(BM_SimdjsonRawWalk)->Unit(benchmark::kMillisecond)->MinTime(2.0);

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (argc != 2) {
    std::cerr << "usage: parse_bench LISTINGS_JSON [--benchmark_* flags]\n";
    return 2;
  }
  std::ifstream in(argv[1], std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  g_body = text.str();
  if (g_body.empty()) {
    std::cerr << "cannot read " << argv[1] << "\n";
    return 2;
  }
  std::cerr << "simdjson kernel: " << simdjson::builtin_implementation()->name() << "\n";
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
