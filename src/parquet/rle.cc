#include "parquet/rle.h"

#include <bit>

#include "parquet/thrift_compact.h"

namespace coinlake::parquet {
namespace {

// Shorter repeats cost more as an RLE run than inside a bit-packed group.
constexpr size_t kMinRepeat = 8;

template <typename T>
void AppendRepeat(std::string& out, T value, size_t count, int bit_width) {
  thrift::AppendVarint(out, static_cast<uint64_t>(count) << 1);
  const int bytes = (bit_width + 7) / 8;
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}

// values.size() is a multiple of 8, or the end of the stream (then padded).
template <typename T>
void AppendBitPacked(std::string& out, std::span<const T> values, int bit_width) {
  if (values.empty()) return;
  const size_t groups = (values.size() + 7) / 8;
  thrift::AppendVarint(out, (static_cast<uint64_t>(groups) << 1) | 1);
  const size_t start = out.size();
  out.resize(start + groups * bit_width, '\0');
  auto* dst = reinterpret_cast<uint8_t*>(out.data() + start);
  // LSB first: value i occupies bits [i*w, (i+1)*w) of the little-endian bit stream.
  uint64_t acc = 0;
  int acc_bits = 0;
  size_t pos = 0;
  for (T v : values) {
    acc |= static_cast<uint64_t>(v) << acc_bits;
    acc_bits += bit_width;
    while (acc_bits >= 8) {
      dst[pos++] = static_cast<uint8_t>(acc);
      acc >>= 8;
      acc_bits -= 8;
    }
  }
  if (acc_bits > 0) dst[pos++] = static_cast<uint8_t>(acc);
}

template <typename T>
void Encode(std::string& out, std::span<const T> values, int bit_width) {
  const size_t n = values.size();
  size_t literal_start = 0;  // values [literal_start, i) wait for a bit-packed run
  size_t i = 0;
  while (i < n) {
    size_t j = i + 1;
    while (j < n && values[j] == values[i]) ++j;
    size_t run = j - i;
    if (run >= kMinRepeat) {
      // A bit-packed run holds whole groups of 8: lend it the first values of the repeat.
      const size_t pending = i - literal_start;
      const size_t lend = (8 - pending % 8) % 8;
      if (run - lend >= kMinRepeat) {
        AppendBitPacked<T>(out, values.subspan(literal_start, pending + lend), bit_width);
        AppendRepeat(out, values[i], run - lend, bit_width);
        literal_start = j;
      }
    }
    i = j;
  }
  AppendBitPacked<T>(out, values.subspan(literal_start), bit_width);
}

}  // namespace

int BitWidthOf(uint64_t max_value) { return max_value == 0 ? 0 : std::bit_width(max_value); }

void AppendRleHybrid(std::string& out, std::span<const uint32_t> values, int bit_width) {
  Encode(out, values, bit_width);
}
void AppendRleHybrid(std::string& out, std::span<const uint8_t> values, int bit_width) {
  Encode(out, values, bit_width);
}

}  // namespace coinlake::parquet
