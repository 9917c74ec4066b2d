// `oomtrace run` end to end: real OOM kills in a transient cgroup below our own.
#include <sys/stat.h>

#include <algorithm>

#include "cgroup.hpp"
#include "features.hpp"
#include "e2e.hpp"
#include "root.hpp"

namespace oomtrace::test {
namespace {

constexpr std::uint64_t MiB = 1 << 20;

Outcome oomtrace(std::vector<std::string> args) {
  args.insert(args.begin(), built("oomtrace"));
  return run_program(args);
}

std::string workload() { return built("tests/workload"); }

// No transient cgroup of ours is left behind.
void expect_no_transient_cgroups() {
  auto controller = discover_memory_controller();
  ASSERT_TRUE(controller);
  for (const auto& entry : fs::directory_iterator(controller->self))
    EXPECT_FALSE(entry.path().filename().string().starts_with("oomtrace-run-")) << entry.path();
}

TEST(Run, ReportsTheOomKillOfTheBundledReproducer) {
  OOMTRACE_REQUIRE_ROOT();
  Scratch scratch;
  const std::string shm = scratch.shm("repro"), reports = scratch / "reports";
  auto outcome = oomtrace({"run", "--memory", "64M", "--report-dir", reports, "--", workload(),
                           "write:" + scratch / "cache" + ":16", "shm:" + shm + ":16",
                           "truth:" + scratch / "truth", "sleep:2500", "leak"});
  EXPECT_EQ(outcome.status, 128 + SIGKILL) << outcome.err;
  const int leaker = read_truth(scratch / "truth").at(0).pid;

  auto all = reports_in(reports);
  ASSERT_EQ(all.size(), 1u) << outcome.err;
  const json& report = all[0];
  expect_contract(report);
  EXPECT_EQ(report["reason"], "oom_kill");
  KernelFeatures features;
  EXPECT_EQ(report["host"]["tier"], std::string(tier_name(choose_tier(features).tier)));

  const auto& oom = report["oom"];
  EXPECT_EQ(oom["constraint"], "memcg");
  ASSERT_EQ(oom["victims"].size(), 1u);
  EXPECT_EQ(oom["victims"][0]["pid"], leaker);
  EXPECT_EQ(oom["victims"][0]["comm"], "workload");
  EXPECT_GT(oom["victims"][0]["anon_rss_bytes"].get<std::uint64_t>(), 30 * MiB);
  // The transient cgroup, made below ours.
  auto controller = discover_memory_controller();
  ASSERT_TRUE(controller);
  const std::string own = CgroupFs(*controller).relative(controller->self);
  const std::string below_own = (own == "/" ? "" : own) + "/oomtrace-run-";
  EXPECT_TRUE(oom["memcg"]["path"].get<std::string>().starts_with(below_own)) << oom["memcg"]["path"];
  EXPECT_EQ(oom["victims"][0]["memcg_path"], oom["memcg"]["path"]);
  EXPECT_EQ(oom["memcg"]["path"], report["cgroup"]["path"]);
  EXPECT_EQ(oom["memcg"]["limit_bytes"], 64 * MiB);
  EXPECT_GE(oom["memcg"]["usage_bytes"].get<std::uint64_t>(), 64 * MiB * 95 / 100);
  EXPECT_EQ(oom["trigger"]["pid"], leaker);

  const auto shmem = report["cgroup"]["stat"]["shmem_bytes"].get<double>();
  EXPECT_NEAR(shmem, 16.0 * MiB, 0.05 * 16 * MiB);
  EXPECT_GE(report["timeline"].size(), 2u);
  EXPECT_EQ(report["cgroup"]["oom_kills"], 1) << "the kernel's own count, read at the kill";
  EXPECT_EQ(report["tracing"]["lost_events"], 0);

  // Every report written is announced, and no temporary file is left.
  for (const auto& name : files_in(reports)) {
    EXPECT_EQ(name.find(".tmp."), std::string::npos) << name;
    EXPECT_NE(outcome.err.find("report: " + reports + "/" + name), std::string::npos) << outcome.err;
  }
  EXPECT_EQ(files_in(reports).size(), 2u);  // text and json by default
  expect_no_transient_cgroups();
}

TEST(Run, ExitsWithTheCommandsStatus) {
  OOMTRACE_REQUIRE_ROOT();
  Scratch scratch;
  auto ok = oomtrace({"run", "--report-dir", scratch / "r", "--", "/bin/sh", "-c", "exit 7"});
  EXPECT_EQ(ok.status, 7) << ok.err;
  auto signalled = oomtrace({"run", "--report-dir", scratch / "r", "--", "/bin/sh", "-c", "kill -TERM $$"});
  EXPECT_EQ(signalled.status, 128 + SIGTERM) << signalled.err;
  auto missing = oomtrace({"run", "--report-dir", scratch / "r", "--", "/nonexistent/cmd"});
  EXPECT_EQ(missing.status, 127);
  EXPECT_TRUE(files_in(scratch / "r").empty());
  expect_no_transient_cgroups();
}

TEST(Run, ReportOnExitWritesAnExitReport) {
  OOMTRACE_REQUIRE_ROOT();
  Scratch scratch;
  auto outcome = oomtrace({"run", "--report-on-exit", "--format", "json,html", "--report-dir", scratch / "r", "--",
                           workload(), "write:" + scratch / "f" + ":4"});
  EXPECT_EQ(outcome.status, 0) << outcome.err;
  auto all = reports_in(scratch / "r");
  ASSERT_EQ(all.size(), 1u);
  expect_contract(all[0]);
  EXPECT_EQ(all[0]["reason"], "exit");
  EXPECT_FALSE(all[0].contains("oom"));
  EXPECT_EQ(files_in(scratch / "r").size(), 2u);  // json and html
}

TEST(Run, ReportsTheFileEntriesItHadToEvict) {
  OOMTRACE_REQUIRE_ROOT();
  Scratch scratch;
  std::vector<std::string> args{"run", "--report-on-exit", "--format", "json", "--max-files", "16",
                                "--report-dir", scratch / "r", "--", workload()};
  for (int i = 0; i < 64; ++i) args.push_back("write:" + scratch / ("f" + std::to_string(i)) + ":1");
  auto outcome = oomtrace(args);
  EXPECT_EQ(outcome.status, 0) << outcome.err;
  auto all = reports_in(scratch / "r");
  ASSERT_EQ(all.size(), 1u) << outcome.err;
  expect_contract(all[0]);
  // 64 files through a map of 16 entries: at least 48 evicted, said in the report with the fix.
  EXPECT_GE(all[0]["tracing"]["file_evictions"].get<std::uint64_t>(), 48u) << all[0]["tracing"];
  EXPECT_TRUE(std::ranges::any_of(all[0]["diagnosis"], [](const json& line) {
    return line.get<std::string>().find("raise --max-files") != std::string::npos;
  })) << all[0]["diagnosis"];
}

TEST(Run, BadReportDirFailsBeforeAnythingStarts) {
  OOMTRACE_REQUIRE_ROOT();
  Scratch scratch;
  std::ofstream(scratch / "file") << "x";
  auto outcome = oomtrace({"run", "--report-dir", scratch / "file/reports", "--", "/bin/true"});
  EXPECT_EQ(outcome.status, 2);
  EXPECT_EQ(std::count(outcome.err.begin(), outcome.err.end(), '\n'), 1) << outcome.err;
  EXPECT_NE(outcome.err.find("cannot create --report-dir"), std::string::npos) << outcome.err;
  expect_no_transient_cgroups();
}

TEST(Report, RendersASavedReportAndRejectsBrokenOnes) {
  OOMTRACE_REQUIRE_ROOT();
  Scratch scratch;
  auto run = oomtrace({"run", "--report-on-exit", "--format", "json", "--report-dir", scratch / "r", "--", "/bin/true"});
  ASSERT_EQ(run.status, 0) << run.err;
  std::string saved = (scratch.path() / "r" / files_in(scratch / "r").at(0)).string();

  auto text = oomtrace({"report", saved});
  EXPECT_EQ(text.status, 0) << text.err;
  EXPECT_EQ(text.out.rfind("Exit report at", 0), 0u) << text.out;
  auto html = oomtrace({"report", saved, "--format", "html", "-o", scratch / "out.html"});
  EXPECT_EQ(html.status, 0) << html.err;
  EXPECT_NE(slurp(scratch / "out.html").find("<pre>"), std::string::npos);
  auto json_again = oomtrace({"report", saved, "--format", "json"});
  EXPECT_EQ(json::parse(json_again.out), json::parse(slurp(saved)));

  std::string content = slurp(saved);
  std::ofstream(scratch / "truncated.json") << content.substr(0, content.size() / 2);
  std::ofstream(scratch / "other.json") << R"({"schema": "something/else"})";
  for (const std::string& bad : {scratch / "truncated.json", scratch / "other.json", scratch / "missing.json"}) {
    auto outcome = oomtrace({"report", bad, "-o", scratch / "never.txt"});
    EXPECT_EQ(outcome.status, 3) << bad;
    EXPECT_EQ(std::count(outcome.err.begin(), outcome.err.end(), '\n'), 1) << outcome.err;
    EXPECT_FALSE(fs::exists(scratch / "never.txt"));
  }
}

}  // namespace
}  // namespace oomtrace::test
