// GoogleTest assertions for Status and StatusOr (after Arrow's arrow/testing/gtest_util.h): a
// failure prints the expression and the status it returned, not just "false".
//   ASSERT_OK(conn->Execute("..."));                 EXPECT_OK(store.Put(key, data));
//   ASSERT_OK_AND_ASSIGN(auto rows, conn->Query("...")); ASSERT_OK_AND_ASSIGN(payload, Parse(x));
#pragma once

#include <gtest/gtest.h>

#include <utility>

#include "common/status.h"

namespace coinlake::testing {

inline const Status& StatusOf(const Status& status) { return status; }
template <typename T>
Status StatusOf(const StatusOr<T>& status_or) {
  return status_or.status();
}

}  // namespace coinlake::testing

#define COINLAKE_EXPECT_OK_IMPL(fail, expr)                                                    \
  do {                                                                                         \
    const ::coinlake::Status _coinlake_status = ::coinlake::testing::StatusOf((expr));         \
    if (!_coinlake_status.ok()) fail() << #expr << " failed: " << _coinlake_status.ToString(); \
  } while (false)

#define ASSERT_OK(expr) COINLAKE_EXPECT_OK_IMPL(GTEST_FAIL, expr)
#define EXPECT_OK(expr) COINLAKE_EXPECT_OK_IMPL(ADD_FAILURE, expr)

// Evaluates `rexpr` (a StatusOr) once; on error fails the test and returns, else moves the
// value into `lhs` (which may declare a variable: `auto rows`).
#define ASSERT_OK_AND_ASSIGN(lhs, rexpr) \
  COINLAKE_ASSERT_OK_AND_ASSIGN_IMPL(COINLAKE_CONCAT(_coinlake_status_or_, __LINE__), lhs, rexpr)
#define COINLAKE_ASSERT_OK_AND_ASSIGN_IMPL(tmp, lhs, rexpr)                        \
  auto tmp = (rexpr);                                                              \
  if (!tmp.ok()) GTEST_FAIL() << #rexpr << " failed: " << tmp.status().ToString(); \
  lhs = std::move(tmp).value()
