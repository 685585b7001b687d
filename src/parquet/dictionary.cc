#include "parquet/dictionary.h"

#include <cstring>
#include <functional>

namespace coinlake::parquet {
namespace {

constexpr uint32_t kEmpty = UINT32_MAX;
constexpr size_t kInitialSlots = 1024;

uint64_t HashBits(uint64_t x) {
  // murmur3's finaliser: neighbouring integers spread over the whole table.
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  return x;
}

}  // namespace

template <typename Matches, typename Add>
uint32_t Dictionary::Insert(uint64_t hash, Matches matches, Add add) {
  const size_t mask = slots_.size() - 1;
  for (size_t s = hash & mask;; s = (s + 1) & mask) {
    const uint32_t e = slots_[s];
    if (e == kEmpty) {
      const auto index = static_cast<uint32_t>(hashes_.size());
      slots_[s] = index;
      hashes_.push_back(hash);
      add();
      if (hashes_.size() * 2 > slots_.size()) Grow();
      return index;
    }
    if (hashes_[e] == hash && matches(e)) return e;
  }
}

uint32_t Dictionary::Insert(uint64_t bits) {
  return Insert(
      HashBits(bits), [&](uint32_t e) { return values_[e] == bits; },
      [&] {
        values_.push_back(bits);
        plain_bytes_ += 8;
      });
}

uint32_t Dictionary::Insert(std::string_view v) {
  return Insert(
      std::hash<std::string_view>()(v), [&](uint32_t e) { return string(e) == v; },
      [&] {
        bytes_.append(v);
        ends_.push_back(static_cast<uint32_t>(bytes_.size()));
        plain_bytes_ += 4 + static_cast<int64_t>(v.size());
      });
}

void Dictionary::Grow() {
  slots_.assign(slots_.size() * 2, kEmpty);
  const size_t mask = slots_.size() - 1;
  for (uint32_t e = 0; e < hashes_.size(); ++e) {
    size_t s = hashes_[e] & mask;
    while (slots_[s] != kEmpty) s = (s + 1) & mask;
    slots_[s] = e;
  }
}

void Dictionary::AppendPlain(std::string& out) const {
  if (!ends_.empty()) {
    for (uint32_t i = 0; i < ends_.size(); ++i) {
      const std::string_view v = string(i);
      const auto n = static_cast<uint32_t>(v.size());
      out.append(reinterpret_cast<const char*>(&n), 4);  // little-endian
      out.append(v);
    }
  } else {
    out.append(reinterpret_cast<const char*>(values_.data()), values_.size() * 8);
  }
}

void Dictionary::Clear() {
  slots_.assign(kInitialSlots, kEmpty);
  std::vector<uint64_t>().swap(hashes_);
  std::vector<uint64_t>().swap(values_);
  std::string().swap(bytes_);
  std::vector<uint32_t>().swap(ends_);
  plain_bytes_ = 0;
}

}  // namespace coinlake::parquet
