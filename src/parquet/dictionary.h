// A column chunk's dictionary: each distinct value once, numbered in first-seen order, in an
// open-addressing hash table over storage of its own (pages come and go, the dictionary stays
// for the whole chunk). No allocation per value.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace coinlake::parquet {

class Dictionary {
 public:
  Dictionary() { Clear(); }

  // The index of the value, added if new. Doubles go in by their bits: -0.0 and +0.0 stay
  // apart and every NaN matches itself.
  uint32_t Insert(uint64_t bits);
  uint32_t Insert(std::string_view bytes);

  size_t size() const { return hashes_.size(); }
  // The size of the PLAIN dictionary page: 8 bytes per number, 4 + length per string.
  int64_t plain_bytes() const { return plain_bytes_; }
  uint64_t bits(uint32_t i) const { return values_[i]; }
  std::string_view string(uint32_t i) const {
    const uint32_t begin = i == 0 ? 0 : ends_[i - 1];
    return std::string_view(bytes_).substr(begin, ends_[i] - begin);
  }
  // Appends the PLAIN dictionary page body (numbers when no strings were inserted).
  void AppendPlain(std::string& out) const;
  void Clear();

 private:
  template <typename Matches, typename Add>
  uint32_t Insert(uint64_t hash, Matches matches, Add add);
  void Grow();

  std::vector<uint32_t> slots_;   // entry index, or kEmpty
  std::vector<uint64_t> hashes_;  // of each entry
  std::vector<uint64_t> values_;  // numbers
  std::string bytes_;             // strings, back to back
  std::vector<uint32_t> ends_;
  int64_t plain_bytes_ = 0;
};

}  // namespace coinlake::parquet
