// The writer's frame and its refusals; tests/parquet reads its files with three real readers.
#include "parquet/writer.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <string>

#include "tests/status_matchers.h"

namespace coinlake::parquet {
namespace {

Schema TwoColumns() { return {{"id", Type::kInt64, false}, {"name", Type::kString, true}}; }

uint32_t FooterLength(const std::string& file) {
  uint32_t n;
  std::memcpy(&n, file.data() + file.size() - 8, 4);
  return n;
}

TEST(WriterTest, FileIsMagicPagesFooterLengthMagic) {
  StringSink sink;
  ASSERT_OK_AND_ASSIGN(auto writer, Writer::Create(TwoColumns(), {}, &sink));
  writer->AppendInt64(1);
  writer->AppendString("BTC");
  ASSERT_OK(writer->EndRow());
  writer->AppendInt64(2);
  writer->AppendNull();
  ASSERT_OK(writer->EndRow());
  ASSERT_OK(writer->Close());
  EXPECT_EQ(writer->rows(), 2);
  const std::string& f = sink.data();
  ASSERT_GT(f.size(), 12u);
  EXPECT_EQ(f.substr(0, 4), "PAR1");
  EXPECT_EQ(f.substr(f.size() - 4), "PAR1");
  EXPECT_LT(FooterLength(f), f.size() - 12);
  EXPECT_NE(f.find("coinlake version"), std::string::npos);  // created_by, in the footer
}

TEST(WriterTest, ZeroRowsIsStillAFile) {
  StringSink sink;
  ASSERT_OK_AND_ASSIGN(auto writer, Writer::Create(TwoColumns(), {}, &sink));
  ASSERT_OK(writer->Close());
  const std::string& f = sink.data();
  EXPECT_EQ(f.substr(0, 4), "PAR1");
  EXPECT_EQ(FooterLength(f), f.size() - 12);  // nothing but the footer between the magics
}

TEST(WriterTest, RowGroupsAreWrittenAsTheyFill) {
  StringSink sink;
  WriterOptions options;
  options.row_group_rows = 2;
  ASSERT_OK_AND_ASSIGN(auto writer, Writer::Create({{"x", Type::kInt64, false}}, options, &sink));
  writer->AppendInt64(1);
  ASSERT_OK(writer->EndRow());
  EXPECT_EQ(sink.data().size(), 4u);  // buffered
  writer->AppendInt64(2);
  ASSERT_OK(writer->EndRow());
  EXPECT_GT(sink.data().size(), 4u);  // the row group is out
}

TEST(WriterTest, RefusesBadSchemasAndOptions) {
  StringSink sink;
  EXPECT_FALSE(Writer::Create({}, {}, &sink).ok());
  EXPECT_FALSE(Writer::Create({{"", Type::kInt64}}, {}, &sink).ok());
  EXPECT_FALSE(Writer::Create({{"a", Type::kInt64}, {"a", Type::kDouble}}, {}, &sink).ok());
  WriterOptions zero_pages;
  zero_pages.page_rows = 0;
  EXPECT_FALSE(Writer::Create({{"a", Type::kInt64}}, zero_pages, &sink).ok());
  EXPECT_FALSE(Writer::Create({{"a", Type::kInt64}}, {}, nullptr).ok());
  WriterOptions negative_threads;
  negative_threads.encode_threads = -1;
  EXPECT_FALSE(Writer::Create({{"a", Type::kInt64}}, negative_threads, &sink).ok());
}

// Pages encoded on other threads while the next fills: every column keeps its pages in order
// (dictionary, fallback to PLAIN, statistics, nulls), so the bytes are those of one thread.
TEST(WriterTest, BackgroundEncodingWritesTheSameBytes) {
  const Schema schema = {{"ts", Type::kTimestampMicros, false}, {"id", Type::kInt64, true},
                         {"price", Type::kDouble, true},        {"name", Type::kString, true},
                         {"repeated", Type::kString, false},    {"level", Type::kDouble, false}};
  auto write = [&](int threads) -> std::string {
    StringSink sink;
    WriterOptions options;
    options.page_rows = 97;
    options.row_group_rows = 1000;
    options.max_dictionary_bytes = 4000;  // `name` falls back to PLAIN within a chunk
    options.encode_threads = threads;
    auto writer = Writer::Create(schema, options, &sink);
    EXPECT_TRUE(writer.ok());
    uint64_t state = 42;
    auto next = [&] { return state = state * 6364136223846793005ULL + 1442695040888963407ULL; };
    for (int i = 0; i < 5321; ++i) {
      (*writer)->AppendTimestampMicros(1'700'000'000'000'000 + i);
      next() % 7 == 0 ? (*writer)->AppendNull() : (*writer)->AppendInt64(i % 300);
      next() % 5 == 0 ? (*writer)->AppendNull()
                      : (*writer)->AppendDouble(static_cast<double>(next() % 100000) / 7);
      next() % 9 == 0 ? (*writer)->AppendNull()
                      : (*writer)->AppendString("coin-" + std::to_string(next() % 2000));
      (*writer)->AppendString(i % 3 == 0 ? "USD" : "BTC");
      (*writer)->AppendDouble(static_cast<double>(i / 100));
      EXPECT_TRUE((*writer)->EndRow().ok());
    }
    EXPECT_TRUE((*writer)->Close().ok());
    return sink.Take();
  };
  const std::string inline_bytes = write(0);
  ASSERT_GT(inline_bytes.size(), 1000u);
  EXPECT_EQ(write(1), inline_bytes);
  EXPECT_EQ(write(3), inline_bytes);
}

TEST(WriterTest, NullInARequiredColumnIsAnError) {
  StringSink sink;
  ASSERT_OK_AND_ASSIGN(auto writer, Writer::Create(TwoColumns(), {}, &sink));
  writer->AppendNull();
  writer->AppendString("x");
  const Status s = writer->EndRow();
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(s.message().find("REQUIRED column id"), std::string::npos) << s.message();
  EXPECT_FALSE(writer->Close().ok());  // sticky
}

TEST(WriterTest, WrongTypeOrCountIsAnError) {
  StringSink sink;
  ASSERT_OK_AND_ASSIGN(auto wrong_type, Writer::Create(TwoColumns(), {}, &sink));
  wrong_type->AppendDouble(1.0);
  wrong_type->AppendString("x");
  EXPECT_FALSE(wrong_type->EndRow().ok());

  ASSERT_OK_AND_ASSIGN(auto too_few, Writer::Create(TwoColumns(), {}, &sink));
  too_few->AppendInt64(1);
  EXPECT_FALSE(too_few->EndRow().ok());

  ASSERT_OK_AND_ASSIGN(auto too_many, Writer::Create(TwoColumns(), {}, &sink));
  too_many->AppendInt64(1);
  too_many->AppendString("x");
  too_many->AppendString("y");
  EXPECT_FALSE(too_many->EndRow().ok());

  ASSERT_OK_AND_ASSIGN(auto half_row, Writer::Create(TwoColumns(), {}, &sink));
  half_row->AppendInt64(1);
  EXPECT_FALSE(half_row->Close().ok());
}

TEST(WriterTest, FileSinkWritesTheSameBytes) {
  const std::string path = ::testing::TempDir() + "/parquet_writer_test.parquet";
  ASSERT_OK_AND_ASSIGN(auto file, FileSink::Create(path));
  StringSink memory;
  for (Sink* sink : {static_cast<Sink*>(file.get()), static_cast<Sink*>(&memory)}) {
    ASSERT_OK_AND_ASSIGN(auto writer, Writer::Create(TwoColumns(), {}, sink));
    for (int i = 0; i < 1000; ++i) {
      writer->AppendInt64(i);
      writer->AppendString(std::string(i % 50, 'x'));
      ASSERT_OK(writer->EndRow());
    }
    ASSERT_OK(writer->Close());
  }
  ASSERT_OK(file->Close());
  std::string read;
  FILE* f = std::fopen(path.c_str(), "rb");
  ASSERT_NE(f, nullptr);
  char buf[4096];
  for (size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;) read.append(buf, n);
  std::fclose(f);
  std::remove(path.c_str());
  EXPECT_EQ(read, memory.data());
}

}  // namespace
}  // namespace coinlake::parquet
