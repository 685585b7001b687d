// Builds a column chunk's dictionary: each distinct value once, in first-seen order, and the
// index of every present value. An open-addressing hash table of entry indices; no allocation
// per value. Gives up (returns false) once the dictionary would not pay for itself.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <functional>
#include <span>
#include <string_view>
#include <vector>

namespace coinlake::parquet {

struct DictionaryLimits {
  int64_t max_bytes;  // PLAIN size of the dictionary page
};

// Builds `indices` (one per value) and `entries` (positions in `values` of the first occurrence
// of each distinct value). Key(i) gives value i's key, Hash(key) and Eq(a, b) compare keys,
// Bytes(key) is its PLAIN size. False when the dictionary outgrows the limit or has so many
// entries that PLAIN is smaller.
template <typename KeyFn, typename HashFn, typename BytesFn>
bool BuildDictionary(size_t n, KeyFn key, HashFn hash, BytesFn bytes, DictionaryLimits limits,
                     std::vector<uint32_t>& indices, std::vector<uint32_t>& entries) {
  indices.resize(n);
  entries.clear();
  size_t capacity = 1024;
  std::vector<uint32_t> slots(capacity, UINT32_MAX);
  std::vector<uint64_t> hashes;  // of each entry, to grow without rehashing keys
  int64_t dict_bytes = 0;
  for (size_t i = 0; i < n; ++i) {
    const auto k = key(i);
    const uint64_t h = hash(k);
    size_t s = h & (capacity - 1);
    while (true) {
      const uint32_t e = slots[s];
      if (e == UINT32_MAX) {
        const uint32_t index = static_cast<uint32_t>(entries.size());
        slots[s] = index;
        entries.push_back(static_cast<uint32_t>(i));
        hashes.push_back(h);
        indices[i] = index;
        dict_bytes += bytes(k);
        if (dict_bytes > limits.max_bytes) return false;
        if (entries.size() * 2 > capacity) {
          capacity *= 2;
          slots.assign(capacity, UINT32_MAX);
          for (uint32_t j = 0; j < entries.size(); ++j) {
            size_t t = hashes[j] & (capacity - 1);
            while (slots[t] != UINT32_MAX) t = (t + 1) & (capacity - 1);
            slots[t] = j;
          }
        }
        break;
      }
      if (hashes[e] == h && key(entries[e]) == k) {
        indices[i] = e;
        break;
      }
      s = (s + 1) & (capacity - 1);
    }
    // Mostly distinct values (prices, volumes): PLAIN is smaller, and stop hashing early.
    if ((i & 0x3fff) == 0x3fff && entries.size() * 2 > i) return false;
  }
  return true;
}

inline uint64_t HashBits(uint64_t x) {
  // A 64-bit finaliser (murmur3's): neighbouring integers spread over the whole table.
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  return x;
}

}  // namespace coinlake::parquet
