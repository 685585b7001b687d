// The ObjectStore conformance suite's fixture: instantiate it for a backend with
// INSTANTIATE_TEST_SUITE_P(Name, ObjectStoreConformance, ::testing::Values(Backend{...})).
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>

#include "lake/object_store.h"
#include "tests/test_support.h"

namespace coinlake::lake {

struct Backend {
  std::string name;
  // Makes an empty store; `dir` is a fresh temporary folder unique to the test.
  std::function<std::unique_ptr<ObjectStore>(const std::string& dir)> make;
};

class ObjectStoreConformance : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override { store_ = GetParam().make(dir_.path()); }
  coinlake::testing::TempDir dir_;
  std::unique_ptr<ObjectStore> store_;
};

}  // namespace coinlake::lake
