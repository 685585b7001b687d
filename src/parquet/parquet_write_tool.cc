// Test helper for tests/parquet: writes Parquet files with coinlake's writer and, beside each,
// NAME.expected.json with every value and the statistics each row group must carry, computed
// here independently of the writer's own statistics code.
//
//   parquet_write_tool DIR --fixed      hand-made tables (every type, nulls, extremes, ...)
//   parquet_write_tool DIR --seed N     one random table from seed N (the property test)
//
// Values in the JSON: INT64 and TIMESTAMP as decimal strings, DOUBLE as its shortest round-trip
// text ("NaN", "Infinity", "-Infinity", "-0" for the specials), STRING as itself, null as null.
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <string>
#include <variant>
#include <vector>

#include "parquet/writer.h"

namespace coinlake::parquet {
namespace {

using Value = std::variant<std::monostate, int64_t, double, std::string>;  // monostate: null

struct Table {
  std::string name;
  Schema schema;
  WriterOptions options;
  std::vector<std::vector<Value>> rows;
};

std::string DoubleText(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
  if (v == 0) return std::signbit(v) ? "-0" : "0";
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, end);
}

nlohmann::json JsonOf(const Value& v) {
  if (std::holds_alternative<int64_t>(v)) return std::to_string(std::get<int64_t>(v));
  if (std::holds_alternative<double>(v)) return DoubleText(std::get<double>(v));
  if (std::holds_alternative<std::string>(v)) return std::get<std::string>(v);
  return nullptr;
}

// The statistics a row group's column must show, by the spec's rules, computed plainly.
nlohmann::json ExpectedStats(const Table& t, size_t col, size_t begin, size_t end) {
  int64_t nulls = 0;
  std::optional<Value> min, max;
  for (size_t r = begin; r < end; ++r) {
    const Value& v = t.rows[r][col];
    if (std::holds_alternative<std::monostate>(v)) {
      ++nulls;
      continue;
    }
    if (std::holds_alternative<double>(v) && std::isnan(std::get<double>(v))) continue;
    auto less = [](const Value& a, const Value& b) {
      if (std::holds_alternative<std::string>(a)) {
        const std::string& x = std::get<std::string>(a);
        const std::string& y = std::get<std::string>(b);
        for (size_t i = 0; i < x.size() && i < y.size(); ++i) {
          if (x[i] != y[i]) return uint8_t(x[i]) < uint8_t(y[i]);
        }
        return x.size() < y.size();
      }
      return a < b;  // same alternative: the value's own order
    };
    if (!min || less(v, *min)) min = v;
    if (!max || less(*max, v)) max = v;
  }
  nlohmann::json s = {{"null_count", nulls}, {"min", nullptr}, {"max", nullptr}};
  if (min) {
    // The spec's rule for zero bounds of floating point columns.
    if (std::holds_alternative<double>(*min) && std::get<double>(*min) == 0) min = -0.0;
    if (std::holds_alternative<double>(*max) && std::get<double>(*max) == 0) max = 0.0;
    s["min"] = JsonOf(*min);
    s["max"] = JsonOf(*max);
  }
  return s;
}

int Write(const std::string& dir, const Table& t) {
  const std::string path = dir + "/" + t.name + ".parquet";
  auto sink = FileSink::Create(path);
  if (!sink.ok()) return std::fprintf(stderr, "%s\n", sink.status().ToString().c_str()), 1;
  auto writer = Writer::Create(t.schema, t.options, sink->get());
  if (!writer.ok()) return std::fprintf(stderr, "%s\n", writer.status().ToString().c_str()), 1;
  Writer& w = **writer;
  for (const auto& row : t.rows) {
    for (size_t c = 0; c < row.size(); ++c) {
      const Value& v = row[c];
      if (std::holds_alternative<std::monostate>(v)) {
        w.AppendNull();
      } else if (std::holds_alternative<double>(v)) {
        w.AppendDouble(std::get<double>(v));
      } else if (std::holds_alternative<std::string>(v)) {
        w.AppendString(std::get<std::string>(v));
      } else if (t.schema[c].type == Type::kTimestampMicros) {
        w.AppendTimestampMicros(std::get<int64_t>(v));
      } else {
        w.AppendInt64(std::get<int64_t>(v));
      }
    }
    if (Status s = w.EndRow(); !s.ok())
      return std::fprintf(stderr, "%s\n", s.ToString().c_str()), 1;
  }
  if (Status s = w.Close(); !s.ok()) return std::fprintf(stderr, "%s\n", s.ToString().c_str()), 1;
  if (Status s = (*sink)->Close(); !s.ok()) {
    return std::fprintf(stderr, "%s\n", s.ToString().c_str()), 1;
  }

  nlohmann::json j;
  j["file"] = t.name + ".parquet";
  j["num_rows"] = t.rows.size();
  j["schema"] = nlohmann::json::array();
  for (const Column& c : t.schema) {
    j["schema"].push_back({{"name", c.name}, {"type", TypeName(c.type)}, {"nullable", c.nullable}});
  }
  j["columns"] = nlohmann::json::object();
  for (size_t c = 0; c < t.schema.size(); ++c) {
    nlohmann::json values = nlohmann::json::array();
    for (const auto& row : t.rows) values.push_back(JsonOf(row[c]));
    j["columns"][t.schema[c].name] = std::move(values);
  }
  j["row_groups"] = nlohmann::json::array();
  const auto per_group = static_cast<size_t>(t.options.row_group_rows);
  for (size_t begin = 0; begin < t.rows.size(); begin += per_group) {
    const size_t end = std::min(t.rows.size(), begin + per_group);
    nlohmann::json g = {{"num_rows", end - begin}, {"columns", nlohmann::json::array()}};
    for (size_t c = 0; c < t.schema.size(); ++c) {
      nlohmann::json stats = ExpectedStats(t, c, begin, end);
      // Each data page header's statistics: pages are page_rows rows of the row group.
      stats["pages"] = nlohmann::json::array();
      const auto per_page = static_cast<size_t>(t.options.page_rows);
      for (size_t p = begin; p < end; p += per_page) {
        nlohmann::json page = ExpectedStats(t, c, p, std::min(end, p + per_page));
        page["rows"] = std::min(end, p + per_page) - p;
        stats["pages"].push_back(std::move(page));
      }
      g["columns"].push_back(std::move(stats));
    }
    j["row_groups"].push_back(std::move(g));
  }
  j["metadata"] = nlohmann::json::object();
  for (const auto& [k, v] : t.options.metadata) j["metadata"][k] = v;
  std::ofstream(dir + "/" + t.name + ".expected.json") << j.dump(1) << "\n";
  return 0;
}

// ---- hand-made tables ----

constexpr int64_t kMinI = std::numeric_limits<int64_t>::min();
constexpr int64_t kMaxI = std::numeric_limits<int64_t>::max();
constexpr double kInf = std::numeric_limits<double>::infinity();
const double kNaN = std::numeric_limits<double>::quiet_NaN();

std::vector<Table> FixedTables() {
  std::vector<Table> tables;
  {
    Table t{"every_type",
            {{"id", Type::kInt64, false},
             {"price", Type::kDouble, true},
             {"ts", Type::kTimestampMicros, true},
             {"symbol", Type::kString, true},
             {"n", Type::kInt64, true},
             {"name", Type::kString, false}}};
    t.options.metadata = {{"coinlake.source", "fixed"}, {"empty", ""}};
    const std::vector<std::string> strings = {"",
                                              "BTC",
                                              "é",
                                              "日本語",
                                              "😀 emoji",
                                              "a\tb\nc",
                                              "quote\"back\\slash",
                                              std::string("nul\0in", 6),
                                              "\x7f",
                                              "zzzz",
                                              "Ω"};
    const std::vector<double> doubles = {0.0,
                                         -0.0,
                                         1.5,
                                         -2.25,
                                         kNaN,
                                         kInf,
                                         -kInf,
                                         1e-300,
                                         5e-324,
                                         1.7976931348623157e308,
                                         -1.7976931348623157e308,
                                         0.1,
                                         123456.789};
    const std::vector<int64_t> ints = {0, -1, 1, kMinI, kMaxI, kMinI + 1, kMaxI - 1, 42};
    for (int i = 0; i < 60; ++i) {
      std::vector<Value> row;
      row.emplace_back(int64_t{i});
      row.push_back(i % 7 == 3 ? Value{} : Value{doubles[i % doubles.size()]});
      row.push_back(i % 5 == 4 ? Value{} : Value{int64_t{1'700'000'000'000'000} + i * 1'000'001});
      row.push_back(i % 6 == 5 ? Value{} : Value{strings[i % strings.size()]});
      row.push_back(i % 4 == 1 ? Value{} : Value{ints[i % ints.size()]});
      row.push_back(Value{strings[(i * 3) % strings.size()]});
      t.rows.push_back(std::move(row));
    }
    t.options.page_rows = 7;
    t.options.row_group_rows = 25;
    tables.push_back(t);
  }
  {
    Table t{"all_null",
            {{"a", Type::kInt64, true},
             {"b", Type::kDouble, true},
             {"c", Type::kString, true},
             {"d", Type::kTimestampMicros, true}}};
    for (int i = 0; i < 10; ++i) t.rows.push_back({Value{}, Value{}, Value{}, Value{}});
    tables.push_back(t);
  }
  {
    Table t{"zero_rows", {{"a", Type::kInt64, false}, {"s", Type::kString, true}}};
    tables.push_back(t);
  }
  {
    Table t{"one_row", {{"a", Type::kInt64, false}, {"s", Type::kString, false}}};
    t.rows.push_back({Value{kMinI}, Value{std::string()}});
    tables.push_back(t);
  }
  {
    // Many rows, few distinct strings (dictionary), a column of distinct ones (PLAIN), one whose
    // dictionary is past max_dictionary_bytes on its first page (PLAIN), and two that pass it
    // in the middle of a chunk (dictionary pages, then PLAIN ones).
    Table t{"dictionary_and_plain",
            {{"symbol", Type::kString, false},
             {"uid", Type::kString, true},
             {"rank", Type::kInt64, false},
             {"price", Type::kDouble, false},
             {"slug", Type::kString, false},
             {"growing", Type::kString, false},
             {"growing_n", Type::kInt64, true}}};
    t.options.page_rows = 1000;
    t.options.row_group_rows = 3000;
    t.options.max_dictionary_bytes = 600;
    const std::vector<std::string> symbols = {"BTC", "ETH", "USDT", "BNB", "SOL", "XRP", "ADA"};
    for (int i = 0; i < 7001; ++i) {
      t.rows.push_back(
          {Value{symbols[(i / 3) % symbols.size()]},
           i % 10 == 0 ? Value{} : Value{"uid-" + std::to_string(i * 7919)},
           Value{int64_t{i % 100}}, Value{(i % 13) * 0.25}, Value{"slug-" + std::to_string(i % 60)},
           // New values page after page: the dictionary outgrows its limit in
           // the middle of a chunk, whose later pages are PLAIN.
           Value{"grow-" + std::to_string(i / 40)}, i % 9 == 0 ? Value{} : Value{int64_t{i / 30}}});
    }
    tables.push_back(t);
  }
  {
    Table t{"no_dictionary", {{"s", Type::kString, false}, {"x", Type::kInt64, true}}};
    t.options.dictionary = false;
    t.options.page_rows = 3;
    for (int i = 0; i < 20; ++i) {
      t.rows.push_back({Value{std::string(i % 3, 'x')}, i % 2 ? Value{} : Value{int64_t{i}}});
    }
    tables.push_back(t);
  }
  return tables;
}

// ---- random tables: the property test ----

Table RandomTable(uint64_t seed) {
  std::mt19937_64 rng(seed);
  auto pick = [&](auto n) { return static_cast<size_t>(rng() % static_cast<uint64_t>(n)); };
  Table t;
  t.name = "seed_" + std::to_string(seed);
  const int64_t page_choices[] = {1, 2, 7, 64, 1000, 20000};
  const int64_t group_choices[] = {1, 5, 100, 1000, 2500, 1'000'000};
  t.options.page_rows = page_choices[pick(6)];
  t.options.row_group_rows = group_choices[pick(6)];
  t.options.dictionary = pick(4) != 0;
  t.options.max_dictionary_bytes = pick(3) == 0 ? 64 : 1 << 20;
  t.options.zstd_level = static_cast<int>(pick(5)) + 1;
  const size_t boundaries[] = {0,
                               1,
                               static_cast<size_t>(t.options.page_rows),
                               static_cast<size_t>(t.options.page_rows) + 1,
                               static_cast<size_t>(t.options.row_group_rows) - 1,
                               static_cast<size_t>(t.options.row_group_rows) + 1,
                               static_cast<size_t>(2 * t.options.row_group_rows),
                               pick(5000)};
  size_t rows = boundaries[pick(8)];
  if (rows > 6000) rows = 6000 - pick(100);  // keep the JSON small
  const int ncols = 1 + static_cast<int>(pick(12));
  struct Gen {
    double null_rate;
    size_t cardinality;  // 0: unbounded
  };
  std::vector<Gen> gens;
  for (int c = 0; c < ncols; ++c) {
    const Type types[] = {Type::kInt64, Type::kDouble, Type::kTimestampMicros, Type::kString};
    t.schema.push_back({"c" + std::to_string(c), types[pick(4)], pick(2) == 0});
    const double rates[] = {0.0, 0.1, 0.5, 1.0};
    const size_t cards[] = {0, 1, 3, 50};
    gens.push_back({t.schema.back().nullable ? rates[pick(4)] : 0.0, cards[pick(4)]});
  }
  auto random_int = [&]() -> int64_t {
    switch (pick(6)) {
      case 0:
        return std::vector<int64_t>{kMinI, kMaxI, 0, -1, 1}[pick(5)];
      case 1:
        return static_cast<int64_t>(rng());
      default:
        return static_cast<int64_t>(pick(2000)) - 1000;
    }
  };
  // Timestamps from 0001-01-01 to 9999-12-31, the range engines agree on: DuckDB reads
  // INT64_MAX as 'infinity' and refuses years past 294246 (INT64 columns cover the extremes).
  constexpr int64_t kMinTs = -62'135'596'800'000'000, kMaxTs = 253'402'300'799'999'999;
  auto random_ts = [&]() -> int64_t {
    switch (pick(6)) {
      case 0:
        return std::vector<int64_t>{kMinTs, kMaxTs, 0, -1, 1}[pick(5)];
      case 1:
        return kMinTs + static_cast<int64_t>(rng() % static_cast<uint64_t>(kMaxTs - kMinTs));
      default:
        return 1'700'000'000'000'000 + static_cast<int64_t>(pick(1'000'000'000));
    }
  };
  auto random_double = [&]() -> double {
    switch (pick(8)) {
      case 0:
        return std::vector<double>{
            kNaN, kInf, -kInf, 0.0, -0.0, 5e-324, 1.7976931348623157e308}[pick(7)];
      case 1:
        return std::bit_cast<double>(rng());  // any bit pattern, NaN payloads included
      default:
        return (static_cast<double>(pick(2'000'000)) - 1e6) / 1000.0;
    }
  };
  auto random_string = [&]() -> std::string {
    static const std::vector<std::string> pieces = {"a", "Z",  "0",    " ", "é",    "€",
                                                    "😀", "日", "\x01", "~", "\x7f", "ß"};
    std::string s;
    const size_t n = pick(10) == 0 ? pick(300) : pick(12);
    for (size_t i = 0; i < n; ++i) s += pieces[pick(pieces.size())];
    return s;
  };
  std::vector<std::vector<Value>> pools(ncols);
  for (int c = 0; c < ncols; ++c) {
    for (size_t i = 0; i < gens[c].cardinality; ++i) {
      switch (t.schema[c].type) {
        case Type::kDouble:
          pools[c].emplace_back(random_double());
          break;
        case Type::kString:
          pools[c].emplace_back(random_string());
          break;
        case Type::kTimestampMicros:
          pools[c].emplace_back(random_ts());
          break;
        case Type::kInt64:
          pools[c].emplace_back(random_int());
      }
    }
  }
  for (size_t r = 0; r < rows; ++r) {
    std::vector<Value> row;
    for (int c = 0; c < ncols; ++c) {
      if (gens[c].null_rate > 0 &&
          std::uniform_real_distribution<>(0, 1)(rng) < gens[c].null_rate) {
        row.emplace_back();
      } else if (!pools[c].empty()) {
        row.push_back(pools[c][pick(pools[c].size())]);
      } else if (t.schema[c].type == Type::kDouble) {
        row.emplace_back(random_double());
      } else if (t.schema[c].type == Type::kString) {
        row.emplace_back(random_string());
      } else if (t.schema[c].type == Type::kTimestampMicros) {
        row.emplace_back(random_ts());
      } else {
        row.emplace_back(random_int());
      }
    }
    t.rows.push_back(std::move(row));
  }
  return t;
}

}  // namespace
}  // namespace coinlake::parquet

int main(int argc, char** argv) {
  using namespace coinlake::parquet;
  if (argc == 3 && std::string(argv[2]) == "--fixed") {
    for (const Table& t : FixedTables()) {
      if (int rc = Write(argv[1], t); rc != 0) return rc;
    }
    return 0;
  }
  if (argc == 4 && std::string(argv[2]) == "--seed") {
    return Write(argv[1], RandomTable(std::stoull(argv[3])));
  }
  std::fprintf(stderr, "usage: parquet_write_tool DIR --fixed | --seed N\n");
  return 2;
}
