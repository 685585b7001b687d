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
