#include "parquet/column_writer.h"

#include <zstd.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <limits>
#include <span>
#include <string_view>

#include "parquet/rle.h"

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

int IndexBitWidth(size_t dictionary_size) {
  return std::max(1, BitWidthOf(dictionary_size == 0 ? 0 : dictionary_size - 1));
}

}  // namespace

PageCompressor::PageCompressor(int level) : cctx_(ZSTD_createCCtx()), level_(level) {}

PageCompressor::~PageCompressor() { ZSTD_freeCCtx(cctx_); }

Status PageCompressor::AppendPage(format::PageHeader header, std::string_view page,
                                  std::string& out, int64_t& uncompressed_total,
                                  int64_t& compressed_total) {
  if (page.size() > static_cast<size_t>(std::numeric_limits<int32_t>::max())) {
    return InvalidArgumentError("parquet: a page is larger than 2 GiB: lower page_rows");
  }
  compressed_.resize(ZSTD_compressBound(page.size()));
  const size_t size = ZSTD_compressCCtx(cctx_, compressed_.data(), compressed_.size(), page.data(),
                                        page.size(), level_);
  if (ZSTD_isError(size)) {
    return InternalError(std::string("parquet: zstd: ") + ZSTD_getErrorName(size));
  }
  header.uncompressed_page_size = static_cast<int32_t>(page.size());
  header.compressed_page_size = static_cast<int32_t>(size);
  header_.clear();
  format::AppendPageHeader(header_, header);
  out.append(header_);
  out.append(compressed_.data(), size);
  uncompressed_total += static_cast<int64_t>(header_.size() + page.size());
  compressed_total += static_cast<int64_t>(header_.size() + size);
  return Status::Ok();
}

ColumnWriter::ColumnWriter(const Column& spec, const WriterOptions& options)
    : spec_(spec), options_(options) {
  if (!options_.dictionary) mode_ = Mode::kPlain;
}

bool ColumnWriter::IndexPage(const ColumnBuffer& page) {
  const size_t n = page.num_values();
  indices_.resize(n);
  switch (page.type) {
    case Type::kString:
      for (size_t i = 0; i < n; ++i) indices_[i] = dictionary_.Insert(page.string(i));
      break;
    case Type::kDouble:
      for (size_t i = 0; i < n; ++i) {
        indices_[i] = dictionary_.Insert(std::bit_cast<uint64_t>(page.doubles[i]));
      }
      break;
    case Type::kInt64:
    case Type::kTimestampMicros:
      for (size_t i = 0; i < n; ++i) {
        indices_[i] = dictionary_.Insert(static_cast<uint64_t>(page.ints[i]));
      }
      break;
  }
  return dictionary_.plain_bytes() <= options_.max_dictionary_bytes;
}

bool ColumnWriter::DictionaryPays(const ColumnBuffer& page) const {
  const auto n = static_cast<int64_t>(page.num_values());
  // Mostly distinct values (prices, volumes) compress better PLAIN.
  if (static_cast<int64_t>(dictionary_.size()) * 2 > n) return false;
  const int64_t plain =
      page.type == Type::kString ? static_cast<int64_t>(page.bytes.size()) + 4 * n : 8 * n;
  return dictionary_.plain_bytes() + n * IndexBitWidth(dictionary_.size()) / 8 < plain;
}

format::Statistics ColumnWriter::PageStatistics(const ColumnBuffer& page, bool dictionary,
                                                int64_t nulls) {
  const size_t n = page.num_values();
  switch (page.type) {
    case Type::kInt64:
    case Type::kTimestampMicros: {
      Int64Stats s;
      for (int64_t v : page.ints) s.Add(v);
      ints_.Merge(s);
      return ToThrift(s, nulls);
    }
    case Type::kDouble: {
      DoubleStats s;
      for (double v : page.doubles) s.Add(v);
      doubles_.Merge(s);
      return ToThrift(s, nulls);
    }
    case Type::kString:
      break;
  }
  StringStats s;
  if (dictionary) {
    // Each distinct value of the page once: compare entries, not every row.
    seen_.resize(dictionary_.size(), 0);
    ++page_number_;
    for (size_t i = 0; i < n; ++i) {
      const uint32_t e = indices_[i];
      if (seen_[e] != page_number_) {
        seen_[e] = page_number_;
        s.Add(dictionary_.string(e));
      }
    }
  } else {
    for (size_t i = 0; i < n; ++i) s.Add(page.string(i));
  }
  strings_.Merge(s);
  return ToThrift(s, nulls);
}

Status ColumnWriter::AddPage(const ColumnBuffer& page, int64_t rows, PageCompressor& zstd) {
  const size_t n = page.num_values();
  const int64_t nulls = rows - static_cast<int64_t>(n);
  rows_ += rows;
  nulls_ += nulls;

  bool dictionary = false;
  if (mode_ != Mode::kPlain && n > 0) {
    dictionary = IndexPage(page);
    if (dictionary && mode_ == Mode::kUndecided) dictionary = DictionaryPays(page);
    if (!dictionary) {
      mode_ = Mode::kPlain;
      // Nothing refers to the dictionary yet: drop it rather than write it.
      if (!dictionary_pages_) dictionary_.Clear();
    } else {
      mode_ = Mode::kDictionary;
    }
  }

  body_.clear();
  if (spec_.nullable) {
    levels_.clear();
    AppendRleHybrid(levels_, page.defs, 1);
    AppendU32(body_, static_cast<uint32_t>(levels_.size()));
    body_.append(levels_);
  }
  format::PageHeader header;
  header.num_values = static_cast<int32_t>(rows);
  header.statistics = PageStatistics(page, dictionary, nulls);
  if (dictionary) {
    dictionary_pages_ = true;
    header.encoding = format::kRleDictionary;
    const int bit_width = IndexBitWidth(dictionary_.size());
    body_.push_back(static_cast<char>(bit_width));
    AppendRleHybrid(body_, indices_, bit_width);
  } else {
    header.encoding = format::kPlain;
    switch (page.type) {
      case Type::kInt64:
      case Type::kTimestampMicros:
        body_.append(reinterpret_cast<const char*>(page.ints.data()), n * 8);
        break;
      case Type::kDouble:
        body_.append(reinterpret_cast<const char*>(page.doubles.data()), n * 8);
        break;
      case Type::kString:
        for (size_t i = 0; i < n; ++i) {
          const std::string_view v = page.string(i);
          AppendU32(body_, static_cast<uint32_t>(v.size()));
          body_.append(v);
        }
        break;
    }
  }
  return zstd.AppendPage(std::move(header), body_, pages_, uncompressed_, compressed_);
}

StatusOr<format::ColumnMetaData> ColumnWriter::WriteChunk(Sink& sink, int64_t& offset,
                                                          PageCompressor& zstd) {
  format::ColumnMetaData meta;
  meta.type = PhysicalOf(spec_.type);
  meta.path = spec_.name;
  meta.num_values = rows_;
  if (dictionary_pages_) {
    body_.clear();
    dictionary_.AppendPlain(body_);
    format::PageHeader header;
    header.type = format::kDictionaryPage;
    header.num_values = static_cast<int32_t>(dictionary_.size());
    std::string page;
    RETURN_IF_ERROR(zstd.AppendPage(std::move(header), body_, page, meta.total_uncompressed_size,
                                    meta.total_compressed_size));
    meta.dictionary_page_offset = offset;
    RETURN_IF_ERROR(sink.Write(page));
    offset += static_cast<int64_t>(page.size());
    meta.encodings = {format::kPlain, format::kRle, format::kRleDictionary};
  } else {
    meta.encodings = {format::kPlain, format::kRle};
  }
  meta.data_page_offset = offset;
  RETURN_IF_ERROR(sink.Write(pages_));
  offset += static_cast<int64_t>(pages_.size());
  meta.total_uncompressed_size += uncompressed_;
  meta.total_compressed_size += compressed_;
  switch (spec_.type) {
    case Type::kInt64:
    case Type::kTimestampMicros:
      meta.statistics = ToThrift(ints_, nulls_);
      break;
    case Type::kDouble:
      meta.statistics = ToThrift(doubles_, nulls_);
      break;
    case Type::kString:
      meta.statistics = ToThrift(strings_.view(), nulls_);
      break;
  }

  // The next chunk starts afresh.
  mode_ = options_.dictionary ? Mode::kUndecided : Mode::kPlain;
  dictionary_.Clear();
  dictionary_pages_ = false;
  std::string().swap(pages_);
  rows_ = nulls_ = uncompressed_ = compressed_ = 0;
  ints_ = {};
  doubles_ = {};
  strings_ = {};
  std::vector<uint32_t>().swap(seen_);
  page_number_ = 0;
  return meta;
}

}  // namespace coinlake::parquet
