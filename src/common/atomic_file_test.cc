#include "common/atomic_file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "tests/status_matchers.h"
#include "tests/test_support.h"

namespace coinlake {
namespace {

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

mode_t ModeOf(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(stat(path.c_str(), &st), 0);
  return st.st_mode & 0777;
}

int Entries(const std::string& dir) {
  return static_cast<int>(std::distance(std::filesystem::directory_iterator(dir),
                                        std::filesystem::directory_iterator()));
}

TEST(AtomicFileTest, ReplacesTheFileWholeWithTheModeAskedWhateverTheUmask) {
  testing::TempDir dir;
  const std::string path = dir.path() + "/state.json";
  mode_t old_umask = umask(077);
  ASSERT_OK(WriteFileAtomically(path, "first", 0644, /*durable=*/false));
  EXPECT_EQ(ModeOf(path), 0644u) << "a metrics file must stay readable by node_exporter";
  umask(022);
  ASSERT_OK(WriteFileAtomically(path, "second, longer", 0600, /*durable=*/true));
  umask(old_umask);
  EXPECT_EQ(Slurp(path), "second, longer");
  EXPECT_EQ(ModeOf(path), 0600u) << "a journal stays the service's own";
  EXPECT_EQ(Entries(dir.path()), 1) << "no temporary file left beside it";
}

TEST(AtomicFileTest, AFailureNamesTheFileAndLeavesNothing) {
  testing::TempDir dir;
  const std::string path = dir.path() + "/missing-folder/state.json";
  Status written = WriteFileAtomically(path, "x", 0600, /*durable=*/true);
  EXPECT_EQ(written.code(), StatusCode::kUnavailable);
  EXPECT_NE(written.message().find("missing-folder"), std::string::npos) << written.ToString();
  EXPECT_EQ(Entries(dir.path()), 0);
  EXPECT_EQ(FsyncFolder(dir.path() + "/nope").code(), StatusCode::kUnavailable);
}

}  // namespace
}  // namespace coinlake
