// What only the file backend does: its temporaries, and opening it from a URL. The contract it
// shares with the others is in object_store_conformance_test.cc.
#include "lake/file_object_store.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include "tests/status_matchers.h"
#include "tests/test_support.h"

namespace coinlake::lake {
namespace {
namespace fs = std::filesystem;

// The folder every publication writes its temporary in (file_object_store.cc).
fs::path TemporariesOf(const std::string& root) { return fs::path(root) / ".tmp-publishing"; }

int CountFiles(const fs::path& dir) {
  int n = 0;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) n += entry.is_regular_file();
  return n;
}

void LeaveTemporary(const fs::path& path) { std::ofstream(path) << "half an object"; }

TEST(FileObjectStoreTest, OpenFromUrls) {
  coinlake::testing::TempDir dir;
  auto store = OpenObjectStore("file://" + dir.path() + "/lake");
  ASSERT_OK(store);
  EXPECT_TRUE((*store)->url().starts_with("file:///"));
  EXPECT_EQ(OpenObjectStore("file://relative").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(OpenObjectStore("ftp://host/x").status().code(), StatusCode::kInvalidArgument);
}

TEST(FileObjectStoreTest, UnwritableRootIsALoudError) {
  auto store = FileObjectStore::Open("/proc/coinlake-cannot-be-here");
  EXPECT_FALSE(store.ok());
}

TEST(FileObjectStoreTest, PublishingLeavesNoTemporary) {
  coinlake::testing::TempDir dir;
  auto store = std::move(FileObjectStore::Open(dir.path())).value();
  ASSERT_OK(store->Put("raw/a", "bytes"));
  ASSERT_OK(store->Put("raw/a", "bytes"));  // the same again: a no-op
  EXPECT_EQ(store->Put("raw/a", "other").code(), StatusCode::kDataLoss);
  EXPECT_EQ(CountFiles(TemporariesOf(store->root())), 0);
  EXPECT_EQ(CountFiles(dir.path()), 1);
}

TEST(FileObjectStoreTest, KeysCannotReachTheTemporaries) {
  coinlake::testing::TempDir dir;
  auto store = std::move(FileObjectStore::Open(dir.path())).value();
  EXPECT_EQ(store->Put(".tmp-publishing/x", "bytes").code(), StatusCode::kInvalidArgument);
}

// A writer killed mid-object leaves its temporary behind; the next open removes it. The ETL's
// spool and a file lake would otherwise fill up with them over restarts.
TEST(FileObjectStoreTest, AKilledWritersTemporaryIsSweptAtTheNextOpen) {
  coinlake::testing::TempDir dir;
  std::string root = std::move(FileObjectStore::Open(dir.path())).value()->root();
  LeaveTemporary(TemporariesOf(root) / ".tmp-0123456789abcdef");
  ASSERT_EQ(CountFiles(TemporariesOf(root)), 1);
  ASSERT_OK(FileObjectStore::Open(dir.path()));
  EXPECT_EQ(CountFiles(TemporariesOf(root)), 0);
}

// A live writer (here, another open file holding the lock, as a writer in another process does)
// keeps its temporary through another process's open; it is swept once the lock is gone.
TEST(FileObjectStoreTest, ALiveWritersTemporaryIsKept) {
  coinlake::testing::TempDir dir;
  std::string root = std::move(FileObjectStore::Open(dir.path())).value()->root();
  fs::path temp = TemporariesOf(root) / ".tmp-fedcba9876543210";
  LeaveTemporary(temp);
  int writer = ::open(temp.c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(writer, 0);
  ASSERT_EQ(::flock(writer, LOCK_EX), 0);
  ASSERT_OK(FileObjectStore::Open(dir.path()));
  EXPECT_TRUE(fs::exists(temp));
  ::close(writer);
  ASSERT_OK(FileObjectStore::Open(dir.path()));
  EXPECT_FALSE(fs::exists(temp));
}

// Another process's open, sweeping while this one publishes, never removes an object or fails a
// publication.
TEST(FileObjectStoreTest, SweepsRacingPublicationsLoseNothing) {
  coinlake::testing::TempDir dir;
  auto store = std::move(FileObjectStore::Open(dir.path())).value();
  std::atomic<bool> done = false;
  std::thread sweeper([&] {
    while (!done) ASSERT_OK(FileObjectStore::Open(dir.path()));
  });
  for (int i = 0; i < 500; ++i) ASSERT_OK(store->Put(fmt::format("raw/{}", i), "bytes"));
  done = true;
  sweeper.join();
  EXPECT_EQ(CountFiles(dir.path()), 500);
  EXPECT_EQ(store->ListAll("raw/")->size(), 500u);
}

}  // namespace
}  // namespace coinlake::lake
