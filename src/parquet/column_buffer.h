// One column of the page being filled: contiguous vectors, no per-value objects.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "parquet/writer.h"

namespace coinlake::parquet {

struct ColumnBuffer {
  Type type = Type::kInt64;
  bool nullable = true;
  // Nullable columns: one definition level per row (1 present, 0 null); values hold only the
  // present ones.
  std::vector<uint8_t> defs;
  int64_t null_count = 0;
  std::vector<int64_t> ints;    // kInt64, kTimestampMicros
  std::vector<double> doubles;  // kDouble
  std::string bytes;            // kString: the values back to back
  std::vector<uint32_t> ends;   // kString: where each value ends in `bytes`

  size_t num_values() const {
    return type == Type::kDouble   ? doubles.size()
           : type == Type::kString ? ends.size()
                                   : ints.size();
  }
  std::string_view string(size_t i) const {
    const uint32_t begin = i == 0 ? 0 : ends[i - 1];
    return std::string_view(bytes).substr(begin, ends[i] - begin);
  }
  // Frees the row group's memory (clear() alone would keep the capacity of the biggest one).
  void Release() {
    std::vector<uint8_t>().swap(defs);
    std::vector<int64_t>().swap(ints);
    std::vector<double>().swap(doubles);
    std::string().swap(bytes);
    std::vector<uint32_t>().swap(ends);
    null_count = 0;
  }
};

}  // namespace coinlake::parquet
