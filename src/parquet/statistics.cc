#include "parquet/statistics.h"

#include <bit>
#include <cstring>

namespace coinlake::parquet {
namespace {

// PLAIN encoding of one value: 8 bytes little-endian.
std::string Plain64(uint64_t bits) {
  static_assert(std::endian::native == std::endian::little, "PLAIN is little-endian");
  std::string out(8, '\0');
  std::memcpy(out.data(), &bits, 8);
  return out;
}

}  // namespace

format::Statistics ToThrift(const Int64Stats& s, int64_t null_count) {
  format::Statistics t;
  t.null_count = null_count;
  if (s.any) {
    t.min_value = t.min = Plain64(static_cast<uint64_t>(s.min));
    t.max_value = t.max = Plain64(static_cast<uint64_t>(s.max));
  }
  return t;
}

format::Statistics ToThrift(const DoubleStats& s, int64_t null_count) {
  format::Statistics t;
  t.null_count = null_count;
  if (s.any) {
    // The spec: a zero min is written -0.0 and a zero max +0.0.
    const double min = s.min == 0.0 ? -0.0 : s.min;
    const double max = s.max == 0.0 ? +0.0 : s.max;
    t.min_value = t.min = Plain64(std::bit_cast<uint64_t>(min));
    t.max_value = t.max = Plain64(std::bit_cast<uint64_t>(max));
  }
  return t;
}

format::Statistics ToThrift(const StringStats& s, int64_t null_count) {
  format::Statistics t;
  t.null_count = null_count;
  // The deprecated min/max of BYTE_ARRAY were compared signed by old writers; left out.
  if (s.any) {
    t.min_value = std::string(s.min);
    t.max_value = std::string(s.max);
  }
  return t;
}

}  // namespace coinlake::parquet
