// Replays inputs through a fuzz target's LLVMFuzzerTestOneInput without libFuzzer, so the
// ordinary g++ build (and the asan preset) checks every corpus and regression input in ctest.
// A crash, a sanitizer report or a failed check in the target aborts the run: the test fails.
//
// Usage: <target>_replay CORPUS_DIR [MORE_DIRS...]
// The first directory must exist and hold at least one file (a replay that feeds nothing would
// pass vacuously); later ones (regressions/<target>) may be absent until a finding lands there.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

std::vector<std::filesystem::path> Inputs(const std::filesystem::path& dir) {
  std::vector<std::filesystem::path> files;
  std::error_code ec;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir, ec)) {
    if (entry.is_regular_file()) files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());  // a stable order makes a failure reproducible
  return files;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s CORPUS_DIR [MORE_DIRS...]\n", argv[0]);
    return 2;
  }
  size_t replayed = 0;
  for (int i = 1; i < argc; ++i) {
    std::filesystem::path dir = argv[i];
    if (!std::filesystem::is_directory(dir)) {
      if (i == 1) {
        std::fprintf(stderr, "error: corpus directory %s does not exist\n", argv[i]);
        return 1;
      }
      continue;
    }
    std::vector<std::filesystem::path> files = Inputs(dir);
    if (i == 1 && files.empty()) {
      std::fprintf(stderr, "error: corpus directory %s is empty\n", argv[i]);
      return 1;
    }
    for (const auto& file : files) {
      std::ifstream in(file, std::ios::binary);
      if (!in) {
        std::fprintf(stderr, "error: cannot read %s\n", file.c_str());
        return 1;
      }
      std::string bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
      // An exact-size heap copy, so AddressSanitizer catches a read one byte past the input.
      std::vector<uint8_t> input(bytes.begin(), bytes.end());
      std::fprintf(stderr, "replaying %s (%zu bytes)\n", file.c_str(), input.size());
      LLVMFuzzerTestOneInput(input.data(), input.size());
      ++replayed;
    }
  }
  std::printf("replayed %zu inputs\n", replayed);
  return 0;
}
