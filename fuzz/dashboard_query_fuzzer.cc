// A dashboard request's query string, as httplib splits and decodes it, through every
// parameter getter the API handlers use (src/dashboard/params.h) with the endpoints' own bounds,
// and /api/v1/latest's whole-query parser. Contract: no crash; a failure is INVALID_ARGUMENT;
// every value a getter accepts lies within the bounds it was asked for.
#include <httplib.h>

#include <algorithm>
#include <set>

#include "dashboard/api.h"
#include "dashboard/params.h"
#include "fuzz/fuzz_support.h"

namespace coinlake::fuzz {
namespace {

constexpr std::initializer_list<StatusCode> kBadRequest = {StatusCode::kInvalidArgument};

// The getters of each endpoint in the order its handler calls them (src/dashboard/api_*.cc).
void Endpoint(const std::multimap<std::string, std::string>& query, int which) {
  dashboard::QueryParams params(query);
  auto int_in = [&](const std::string& name, int64_t min, int64_t max, int64_t fallback) {
    auto v = params.Int(name, min, max, fallback);
    RequireCode(v.status(), "Int", kBadRequest);
    if (v.ok()) Require(*v >= min && *v <= max, "Int out of bounds");
  };
  auto ids = [&](const std::string& name, size_t max_count) {
    auto v = params.Ids(name, max_count);
    RequireCode(v.status(), "Ids", kBadRequest);
    if (!v.ok()) return;
    Require(!v->empty() && v->size() <= max_count, "Ids count out of bounds");
    Require(std::set<int64_t>(v->begin(), v->end()).size() == v->size(), "Ids has duplicates");
    Require(std::all_of(v->begin(), v->end(), [](int64_t id) { return id > 0; }),
            "Ids has a non-positive id");
  };
  auto text = [&](const std::string& name, size_t max_length) {
    auto v = params.Text(name, max_length);
    RequireCode(v.status(), "Text", kBadRequest);
    if (v.ok() && *v) Require(!(*v)->empty() && (*v)->size() <= max_length, "Text too long");
  };
  auto time = [&](const std::string& name) {
    auto v = params.Time(name);
    RequireCode(v.status(), "Time", kBadRequest);
    if (v.ok() && *v) Require(**v >= 0 && **v < 4102444800, "Time outside 1970..2100");
  };
  auto duration = [&](const std::string& name, int64_t min, int64_t max) {
    auto v = params.Duration(name, min, max);
    RequireCode(v.status(), "Duration", kBadRequest);
    if (v.ok() && *v) Require(**v >= min && **v <= max, "Duration out of bounds");
  };
  auto currency = [&] {
    auto v = params.Currency();
    RequireCode(v.status(), "Currency", kBadRequest);
    if (v.ok()) Require(!v->empty() && v->size() <= 10, "Currency code length");
  };
  auto one_of = [&](const std::string& name, const std::vector<std::string>& allowed) {
    auto v = params.OneOf(name, allowed, allowed.front());
    RequireCode(v.status(), "OneOf", kBadRequest);
    if (v.ok()) Require(std::find(allowed.begin(), allowed.end(), *v) != allowed.end(), "OneOf");
  };
  switch (which) {
    case 0:  // assets
      text("q", 64);
      int_in("limit", 1, 100, 20);
      if (params.Has("ids")) ids("ids", 100);
      break;
    case 1:  // series (+ ParseRange's getters)
      ids("ids", 20);
      int_in("width", 1, 2000, 500);
      currency();
      time("from");
      time("to");
      text("range", 8);
      duration("range", 60, 10LL * 366 * 86400);
      break;
    case 2:  // candles
      ids("id", 1);
      one_of("interval", {"1h", "1d"});
      currency();
      break;
    case 3:  // sparklines
      ids("ids", 200);
      currency();
      break;
    default:  // movers
      text("window", 8);
      duration("window", 300, 10LL * 366 * 86400);
      int_in("limit", 1, 100, 10);
      int_in("universe", 1, 5000, 500);
      currency();
      break;
  }
  RequireCode(params.Finish(), "Finish", kBadRequest);
}

}  // namespace
}  // namespace coinlake::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace coinlake;
  httplib::Params query;
  httplib::detail::parse_query_text(std::string(fuzz::AsText(data, size)), query);
  for (int endpoint = 0; endpoint < 5; ++endpoint) fuzz::Endpoint(query, endpoint);
  auto latest = dashboard::ParseLatestQuery(query);
  fuzz::RequireCode(latest.status(), "ParseLatestQuery", fuzz::kBadRequest);
  if (latest.ok()) {
    fuzz::Require(latest->limit >= 1 && latest->limit <= 5000, "latest limit out of bounds");
  }
  return 0;
}
