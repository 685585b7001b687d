#include "dashboard/json_out.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace coinlake::dashboard {
namespace {

TEST(JsonOutTest, WritesValidJsonWithCommas) {
  std::string text;
  JsonOut out(text);
  out.BeginObject().Key("a").Int(-3).Key("list").BeginArray();
  out.Number("1.5").Number("1e+20").Number("-2.5e-05").Null().BeginObject().EndObject();
  out.EndArray().Key("s").String("q\"\\\n\x01 é").EndObject();
  EXPECT_EQ(text, R"({"a":-3,"list":[1.5,1e+20,-2.5e-05,null,{}],"s":"q\"\\\u000a\u0001 é"})");
  auto parsed = nlohmann::json::parse(text);
  EXPECT_EQ(parsed["s"], "q\"\\\n\x01 é");
}

TEST(JsonOutTest, NumbersJsonCannotCarryBecomeNull) {
  std::string text;
  JsonOut out(text);
  out.BeginArray().Number("NaN").Number("Infinity").Number("-Infinity").Number("").EndArray();
  EXPECT_EQ(text, "[null,null,null,null]");
}

TEST(JsonOutTest, TimesAreIsoUtcWithMilliseconds) {
  std::string text;
  JsonOut out(text);
  out.BeginArray().Time("2026-11-27 21:50:00+00").Time("2026-11-27 21:50:00.5+00");
  out.Time("2026-11-27 21:50:00.123456+00").Time("garbage").TimeSeconds(0);
  out.TimeSeconds(1764280200).EndArray();
  EXPECT_EQ(text,
            R"(["2026-11-27T21:50:00.000Z","2026-11-27T21:50:00.500Z","2026-11-27T21:50:00.123Z",)"
            R"("garbage","1970-01-01T00:00:00.000Z","2025-11-27T21:50:00.000Z"])");
}

}  // namespace
}  // namespace coinlake::dashboard
