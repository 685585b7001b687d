// Column statistics as Parquet defines them: null_count, and min/max of the present values in
// the type's order (signed for INT64 and DOUBLE, unsigned bytewise for strings). NaN takes no
// part in DOUBLE's min/max, and a zero bound is written as -0.0 (min) or +0.0 (max), since
// readers may not tell the two apart when they prune.
#pragma once

#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>

#include "parquet/metadata.h"

namespace coinlake::parquet {

struct Int64Stats {
  bool any = false;
  int64_t min = 0, max = 0;
  void Add(int64_t v) {
    if (!any) {
      min = max = v;
      any = true;
    } else {
      min = v < min ? v : min;
      max = v > max ? v : max;
    }
  }
  void Merge(const Int64Stats& o) {
    if (o.any) Add(o.min), Add(o.max);
  }
};

struct DoubleStats {
  bool any = false;
  double min = 0, max = 0;
  void Add(double v) {
    if (std::isnan(v)) return;
    if (!any) {
      min = max = v;
      any = true;
    } else {
      min = v < min ? v : min;
      max = v > max ? v : max;
    }
  }
  void Merge(const DoubleStats& o) {
    if (o.any) Add(o.min), Add(o.max);
  }
};

// Holds views into the column's buffer, valid until the row group is released.
struct StringStats {
  bool any = false;
  std::string_view min, max;
  void Add(std::string_view v) {
    if (!any) {
      min = max = v;
      any = true;
    } else {
      // string_view compares with char_traits<char>::compare, which is memcmp: unsigned bytes.
      if (v < min) min = v;
      if (max < v) max = v;
    }
  }
  void Merge(const StringStats& o) {
    if (o.any) Add(o.min), Add(o.max);
  }
};

// A column chunk's string bounds, owned: its pages' values are gone by the time it is written.
struct ChunkStringStats {
  bool any = false;
  std::string min, max;
  void Merge(const StringStats& page) {
    if (!page.any) return;
    if (!any || page.min < min) min = page.min;
    if (!any || max < page.max) max = page.max;
    any = true;
  }
  StringStats view() const { return {any, min, max}; }
};

// The Thrift form: min_value/max_value, and the deprecated min/max for INT64 and DOUBLE.
format::Statistics ToThrift(const Int64Stats& s, int64_t null_count);
format::Statistics ToThrift(const DoubleStats& s, int64_t null_count);
format::Statistics ToThrift(const StringStats& s, int64_t null_count);

}  // namespace coinlake::parquet
