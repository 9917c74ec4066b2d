#include <gtest/gtest.h>

#include "size.hpp"

namespace oomtrace {
namespace {

TEST(ParseSize, AcceptsBytesAndBinarySuffixes) {
  EXPECT_EQ(parse_size("0").value(), 0u);
  EXPECT_EQ(parse_size("4096").value(), 4096u);
  EXPECT_EQ(parse_size("100B").value(), 100u);
  EXPECT_EQ(parse_size("1K").value(), 1024u);
  EXPECT_EQ(parse_size("1k").value(), 1024u);
  EXPECT_EQ(parse_size("1M").value(), 1048576u);
  EXPECT_EQ(parse_size("64MiB").value(), 64u << 20);
  EXPECT_EQ(parse_size("512MB").value(), 512u << 20);
  EXPECT_EQ(parse_size("1G").value(), 1u << 30);
  EXPECT_EQ(parse_size("1GiB").value(), 1u << 30);
  EXPECT_EQ(parse_size("2T").value(), 2ull << 40);
}

TEST(ParseSize, RejectsEverythingElseAsUsageError) {
  for (const char* bad : {"", "M", "1.5G", "-1", "1X", "1GB2", "1 G", "1iB", "1Gi", "0x10", "1MiBs",
                          "99999999999999999999", "17179869184T"}) {
    auto size = parse_size(bad);
    ASSERT_FALSE(size.has_value()) << bad;
    EXPECT_EQ(size.error().exit_code, ExitCode::usage) << bad;
    EXPECT_EQ(size.error().message.find('\n'), std::string::npos);
  }
}

TEST(FormatBytes, UsesBinaryUnits) {
  EXPECT_EQ(format_bytes(0), "0 B");
  EXPECT_EQ(format_bytes(1023), "1023 B");
  EXPECT_EQ(format_bytes(1536), "1.5 KiB");
  EXPECT_EQ(format_bytes(64u << 20), "64.0 MiB");
}

}  // namespace
}  // namespace oomtrace
