#include "parquet/chunk_encoder.h"

#include <zstd.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <functional>
#include <limits>
#include <span>
#include <string_view>

#include "parquet/dictionary.h"
#include "parquet/rle.h"
#include "parquet/statistics.h"

namespace coinlake::parquet {
namespace {

format::PhysicalType PhysicalOf(Type type) {
  switch (type) {
    case Type::kDouble:
      return format::kDouble;
    case Type::kString:
      return format::kByteArray;
    case Type::kInt64:
    case Type::kTimestampMicros:
      break;
  }
  return format::kInt64;
}

void AppendU32(std::string& out, uint32_t v) {
  char bytes[4];
  std::memcpy(bytes, &v, 4);  // little-endian (static_assert in statistics.cc)
  out.append(bytes, 4);
}

template <typename T>
void AppendRaw(std::string& out, const T* values, size_t n) {
  out.append(reinterpret_cast<const char*>(values), n * sizeof(T));
}

void AppendPlainString(std::string& out, std::string_view v) {
  AppendU32(out, static_cast<uint32_t>(v.size()));
  out.append(v);
}

}  // namespace

ChunkEncoder::ChunkEncoder(const WriterOptions& options)
    : options_(options), cctx_(ZSTD_createCCtx()) {}

ChunkEncoder::~ChunkEncoder() { ZSTD_freeCCtx(cctx_); }

bool ChunkEncoder::BuildDictionaryOf(const ColumnBuffer& c) {
  const size_t n = c.num_values();
  if (!options_.dictionary || n == 0) return false;
  const DictionaryLimits limits{options_.max_dictionary_bytes};
  bool built = false;
  int64_t plain_bytes = 0;
  if (c.type == Type::kString) {
    built = BuildDictionary(
        n, [&](size_t i) { return c.string(i); },
        [](std::string_view s) { return std::hash<std::string_view>()(s); },
        [](std::string_view s) { return static_cast<int64_t>(4 + s.size()); }, limits, indices_,
        entries_);
    plain_bytes = static_cast<int64_t>(c.bytes.size() + 4 * n);
  } else if (c.type == Type::kDouble) {
    // By bits: -0.0 and +0.0 stay apart, and every NaN matches itself.
    built = BuildDictionary(
        n, [&](size_t i) { return std::bit_cast<uint64_t>(c.doubles[i]); }, HashBits,
        [](uint64_t) { return int64_t{8}; }, limits, indices_, entries_);
    plain_bytes = static_cast<int64_t>(8 * n);
  } else {
    built = BuildDictionary(
        n, [&](size_t i) { return static_cast<uint64_t>(c.ints[i]); }, HashBits,
        [](uint64_t) { return int64_t{8}; }, limits, indices_, entries_);
    plain_bytes = static_cast<int64_t>(8 * n);
  }
  if (!built) return false;
  // Worth it only if dictionary page + packed indices are smaller than the PLAIN values.
  int64_t dict_bytes = 0;
  for (uint32_t e : entries_) {
    dict_bytes += c.type == Type::kString ? static_cast<int64_t>(4 + c.string(e).size()) : 8;
  }
  const int bit_width = std::max(1, BitWidthOf(entries_.size() - 1));
  return dict_bytes + static_cast<int64_t>(n) * bit_width / 8 < plain_bytes;
}

void ChunkEncoder::AppendDictionaryPage(const ColumnBuffer& c) {
  page_.clear();
  for (uint32_t e : entries_) {
    switch (c.type) {
      case Type::kString:
        AppendPlainString(page_, c.string(e));
        break;
      case Type::kDouble:
        AppendRaw(page_, &c.doubles[e], 1);
        break;
      case Type::kInt64:
      case Type::kTimestampMicros:
        AppendRaw(page_, &c.ints[e], 1);
        break;
    }
  }
}

Status ChunkEncoder::WritePage(format::PageHeader header, Sink& sink, int64_t& offset,
                               format::ColumnMetaData& meta) {
  compressed_.resize(ZSTD_compressBound(page_.size()));
  const size_t size = ZSTD_compressCCtx(cctx_, compressed_.data(), compressed_.size(), page_.data(),
                                        page_.size(), options_.zstd_level);
  if (ZSTD_isError(size)) {
    return InternalError(std::string("zstd: ") + ZSTD_getErrorName(size));
  }
  if (page_.size() > static_cast<size_t>(std::numeric_limits<int32_t>::max())) {
    return InvalidArgumentError("a Parquet page is larger than 2 GiB: lower page_rows");
  }
  header.uncompressed_page_size = static_cast<int32_t>(page_.size());
  header.compressed_page_size = static_cast<int32_t>(size);
  header_.clear();
  format::AppendPageHeader(header_, header);
  RETURN_IF_ERROR(sink.Write(header_));
  RETURN_IF_ERROR(sink.Write(std::string_view(compressed_.data(), size)));
  const auto header_size = static_cast<int64_t>(header_.size());
  meta.total_uncompressed_size += header_size + static_cast<int64_t>(page_.size());
  meta.total_compressed_size += header_size + static_cast<int64_t>(size);
  offset += header_size + static_cast<int64_t>(size);
  return Status::Ok();
}

StatusOr<format::ColumnMetaData> ChunkEncoder::Write(const Column& spec, const ColumnBuffer& c,
                                                     int64_t num_rows, Sink& sink,
                                                     int64_t& offset) {
  format::ColumnMetaData meta;
  meta.type = PhysicalOf(spec.type);
  meta.path = spec.name;
  meta.num_values = num_rows;

  const bool dictionary = BuildDictionaryOf(c);
  int bit_width = 0;
  if (dictionary) {
    meta.dictionary_page_offset = offset;
    AppendDictionaryPage(c);
    format::PageHeader header;
    header.type = format::kDictionaryPage;
    header.num_values = static_cast<int32_t>(entries_.size());
    RETURN_IF_ERROR(WritePage(header, sink, offset, meta));
    bit_width = std::max(1, BitWidthOf(entries_.size() - 1));
    seen_.assign(entries_.size(), 0);
    meta.encodings = {format::kPlain, format::kRle, format::kRleDictionary};
  } else {
    meta.encodings = {format::kPlain, format::kRle};
  }
  meta.data_page_offset = offset;

  Int64Stats chunk_ints;
  DoubleStats chunk_doubles;
  StringStats chunk_strings;
  size_t v0 = 0;  // the page's first present value
  uint32_t page_number = 0;
  for (int64_t r0 = 0; r0 < num_rows; r0 += options_.page_rows) {
    const int64_t rows = std::min<int64_t>(options_.page_rows, num_rows - r0);
    ++page_number;
    page_.clear();
    size_t present = static_cast<size_t>(rows);
    if (spec.nullable) {
      const std::span<const uint8_t> defs(c.defs.data() + r0, static_cast<size_t>(rows));
      present = static_cast<size_t>(std::count(defs.begin(), defs.end(), uint8_t{1}));
      levels_.clear();
      AppendRleHybrid(levels_, defs, 1);
      AppendU32(page_, static_cast<uint32_t>(levels_.size()));
      page_.append(levels_);
    }
    const size_t v1 = v0 + present;

    format::PageHeader header;
    header.num_values = static_cast<int32_t>(rows);
    const int64_t page_nulls = rows - static_cast<int64_t>(present);
    switch (c.type) {
      case Type::kInt64:
      case Type::kTimestampMicros: {
        Int64Stats s;
        for (size_t i = v0; i < v1; ++i) s.Add(c.ints[i]);
        chunk_ints.Merge(s);
        header.statistics = ToThrift(s, page_nulls);
        if (!dictionary) AppendRaw(page_, c.ints.data() + v0, present);
        break;
      }
      case Type::kDouble: {
        DoubleStats s;
        for (size_t i = v0; i < v1; ++i) s.Add(c.doubles[i]);
        chunk_doubles.Merge(s);
        header.statistics = ToThrift(s, page_nulls);
        if (!dictionary) AppendRaw(page_, c.doubles.data() + v0, present);
        break;
      }
      case Type::kString: {
        StringStats s;
        if (dictionary) {
          // Each distinct value of the page once: compare entries, not every row.
          for (size_t i = v0; i < v1; ++i) {
            const uint32_t e = indices_[i];
            if (seen_[e] != page_number) {
              seen_[e] = page_number;
              s.Add(c.string(entries_[e]));
            }
          }
        } else {
          for (size_t i = v0; i < v1; ++i) {
            const std::string_view v = c.string(i);
            s.Add(v);
            AppendPlainString(page_, v);
          }
        }
        chunk_strings.Merge(s);
        header.statistics = ToThrift(s, page_nulls);
        break;
      }
    }
    if (dictionary) {
      header.encoding = format::kRleDictionary;
      page_.push_back(static_cast<char>(bit_width));
      AppendRleHybrid(page_, std::span<const uint32_t>(indices_.data() + v0, present), bit_width);
    } else {
      header.encoding = format::kPlain;
    }
    RETURN_IF_ERROR(WritePage(std::move(header), sink, offset, meta));
    v0 = v1;
  }

  switch (c.type) {
    case Type::kInt64:
    case Type::kTimestampMicros:
      meta.statistics = ToThrift(chunk_ints, c.null_count);
      break;
    case Type::kDouble:
      meta.statistics = ToThrift(chunk_doubles, c.null_count);
      break;
    case Type::kString:
      meta.statistics = ToThrift(chunk_strings, c.null_count);
      break;
  }
  return meta;
}

}  // namespace coinlake::parquet
