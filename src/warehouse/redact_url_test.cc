#include <gtest/gtest.h>

#include "warehouse/db.h"

namespace coinlake::warehouse {
namespace {

TEST(RedactDatabaseUrlTest, UriUserInfoAndQueryPasswordsAreHidden) {
  EXPECT_EQ(RedactDatabaseUrl("postgresql://etl:s3cret@db:5432/coinlake"),
            "postgresql://etl:***@db:5432/coinlake");
  EXPECT_EQ(RedactDatabaseUrl("postgres://db/coinlake?password=s3cret&sslmode=verify-full"),
            "postgres://db/coinlake?password=***&sslmode=verify-full");
}

TEST(RedactDatabaseUrlTest, ConninfoPasswordsAreHiddenWhateverTheyHold) {
  EXPECT_EQ(RedactDatabaseUrl("host=db password = s3cret user=etl"),
            "host=db password = *** user=etl");
  EXPECT_EQ(RedactDatabaseUrl("host=db password='a b\\' c' user=etl"),
            "host=db password=*** user=etl");
  // In conninfo '&' belongs to the value (found by fuzz/config_fuzzer.cc: "password=&aaa..." kept
  // everything after the '&').
  EXPECT_EQ(RedactDatabaseUrl("host=db password=&s3cret&x user=etl"),
            "host=db password=*** user=etl");
}

}  // namespace
}  // namespace coinlake::warehouse
