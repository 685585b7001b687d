// The RLE/bit-packing hybrid of the Parquet spec (Encodings.md), for definition levels and
// dictionary indices: runs of one value become RLE runs, the rest bit-packed groups of 8.
#pragma once

#include <cstdint>
#include <span>
#include <string>

namespace coinlake::parquet {

// Bits needed for values up to max_value (0 -> 0).
int BitWidthOf(uint64_t max_value);

// Appends `values`, each < 2^bit_width, encoded (no length prefix). The last bit-packed group
// is padded with zeros to 8 values, which readers ignore: they know how many values there are.
void AppendRleHybrid(std::string& out, std::span<const uint32_t> values, int bit_width);
void AppendRleHybrid(std::string& out, std::span<const uint8_t> values, int bit_width);

}  // namespace coinlake::parquet
