// Shared by the parser tests that compare parsed rows with the JSON they came from.
#pragma once

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace coinlake::cmc {

// `got` holds the number `want` holds, or nothing where `want` is null.
inline void ExpectNumber(const std::optional<double>& got, const nlohmann::json& want,
                         const std::string& what) {
  if (want.is_null()) {
    EXPECT_FALSE(got.has_value()) << what;
  } else {
    ASSERT_TRUE(got.has_value()) << what;
    EXPECT_DOUBLE_EQ(*got, want.get<double>()) << what;
  }
}

}  // namespace coinlake::cmc
