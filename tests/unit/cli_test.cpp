// The command line's contract, through the real binary: usage errors are one line and exit 2.
#include <gtest/gtest.h>

#include <algorithm>

#include "process.hpp"

namespace oomtrace::test {
namespace {

Outcome oomtrace(std::vector<std::string> args) {
  args.insert(args.begin(), built("oomtrace"));
  return run_program(args);
}

void expect_usage_error(const Outcome& outcome, const std::string& mentions) {
  EXPECT_EQ(outcome.status, 2) << outcome.err;
  EXPECT_EQ(std::count(outcome.err.begin(), outcome.err.end(), '\n'), 1) << outcome.err;
  EXPECT_NE(outcome.err.find(mentions), std::string::npos) << outcome.err;
  EXPECT_TRUE(outcome.out.empty()) << outcome.out;
}

TEST(Cli, UnknownFlagIsAUsageError) { expect_usage_error(oomtrace({"run", "--bogus", "--", "true"}), "--bogus"); }

TEST(Cli, UnknownCommandIsAUsageError) { expect_usage_error(oomtrace({"frobnicate"}), "frobnicate"); }

TEST(Cli, NoCommandIsAUsageError) { expect_usage_error(oomtrace({}), "subcommand"); }

TEST(Cli, BadSizeIsAUsageError) {
  expect_usage_error(oomtrace({"run", "--memory", "12X", "--", "true"}), "invalid SIZE '12X'");
  expect_usage_error(oomtrace({"run", "--memory", "1.5G", "--", "true"}), "invalid SIZE");
}

TEST(Cli, RunWithoutCommandIsAUsageError) {
  expect_usage_error(oomtrace({"run", "--memory", "64M"}), "no command given");
  expect_usage_error(oomtrace({"run", "--memory", "64M", "--"}), "no command given");
}

TEST(Cli, BadFormatIsAUsageError) {
  expect_usage_error(oomtrace({"run", "--format", "text,pdf", "--", "true"}), "invalid --format");
  expect_usage_error(oomtrace({"report", "x.json", "--format", "yaml"}), "invalid --format");
}

TEST(Cli, BadParentIsAUsageError) {
  expect_usage_error(oomtrace({"run", "--parent", "/nonexistent/cgroup", "--", "true"}),
                     "--parent /nonexistent/cgroup: no such cgroup directory");
  expect_usage_error(oomtrace({"run", "--parent", "/tmp", "--", "true"}), "not a cgroup with the memory controller");
}

TEST(Cli, BadWatchCgroupIsAUsageError) {
  expect_usage_error(oomtrace({"watch", "--cgroup", "/nonexistent"}), "no such cgroup directory");
  expect_usage_error(oomtrace({"watch", "--duration", "-1"}), "--duration");
}

TEST(Cli, HelpAndVersionExitZero) {
  for (const char* command : {"doctor", "run", "watch", "report"}) {
    auto help = oomtrace({command, "--help"});
    EXPECT_EQ(help.status, 0) << command;
    EXPECT_NE(help.out.find("Usage"), std::string::npos) << command;
  }
  auto version = oomtrace({"--version"});
  EXPECT_EQ(version.status, 0);
  EXPECT_FALSE(version.out.empty());
}

}  // namespace
}  // namespace oomtrace::test
