// `oomtrace watch` end to end, on a cgroup the test makes below its own.
#include <signal.h>

#include <chrono>
#include <set>
#include <thread>

#include "e2e.hpp"
#include "root.hpp"
#include "test_cgroup.hpp"

namespace oomtrace::test {
namespace {

using namespace std::chrono_literals;

// `oomtrace watch` in the background, stopped with SIGINT.
class Watcher {
 public:
  Watcher(const std::string& cgroup, const std::string& reports, const std::string& err)
      : err_(err) {
    pid_ = spawn_program({built("oomtrace"), "watch", "--cgroup", cgroup, "--report-dir", reports,
                          "--duration", "120"},
                         err);
  }
  bool wait_until_tracing() {
    for (int i = 0; i < 3000; ++i) {  // a minute: the QEMU guests emulate every instruction
      if (slurp(err_).find("watch: tracing") != std::string::npos) return true;
      std::this_thread::sleep_for(20ms);
    }
    return false;
  }
  int stop() {
    ::kill(pid_, SIGINT);
    return wait_program(pid_);
  }

 private:
  std::string err_;
  int pid_;
};

void wait_for_reports(const std::string& dir, std::size_t count) {
  for (int i = 0; i < 100 && reports_in(dir).size() < count; ++i) std::this_thread::sleep_for(50ms);
}

TEST(Watch, ReportsBackToBackKillsInAWatchedCgroup) {
  OOMTRACE_REQUIRE_ROOT();
  auto cgroup = TestCgroup::make("watch");
  ASSERT_TRUE(cgroup);
  ASSERT_TRUE(cgroup->fs().set_limit(cgroup->dir(), 48 << 20));
  Scratch scratch;
  const std::string reports = scratch / "reports";
  Watcher watcher(cgroup->dir(), reports, scratch / "watch.err");
  ASSERT_TRUE(watcher.wait_until_tracing()) << slurp(scratch / "watch.err");

  std::set<int> leakers;
  for (int round = 0; round < 2; ++round) {
    const std::string pid_file = scratch / ("pid" + std::to_string(round));
    int status = run_in_cgroup(cgroup->dir().string(), {built("tests/workload"), "pid:" + pid_file, "leak"});
    EXPECT_EQ(status, 128 + SIGKILL);
    leakers.insert(std::stoi(slurp(pid_file)));
  }
  wait_for_reports(reports, 2);
  EXPECT_EQ(watcher.stop(), 0) << slurp(scratch / "watch.err");

  auto all = reports_in(reports);
  ASSERT_EQ(all.size(), 2u) << slurp(scratch / "watch.err");
  std::set<int> pids;
  for (const auto& report : all) {
    expect_contract(report);
    ASSERT_EQ(report["oom"]["victims"].size(), 1u);
    pids.insert(report["oom"]["victims"][0]["pid"].get<int>());
    EXPECT_EQ(report["oom"]["memcg"]["limit_bytes"], 48 << 20);
    EXPECT_EQ(report["cgroup"]["path"], report["oom"]["memcg"]["path"]);
    EXPECT_TRUE(report["cgroup"]["path"].get<std::string>().ends_with(cgroup->dir().filename().string()));
  }
  EXPECT_EQ(pids, leakers) << "each kill reports its own victim";
}

TEST(Watch, ReportsEveryMemberOfAGroupKill) {
  OOMTRACE_REQUIRE_ROOT();
  auto controller = discover_memory_controller();
  ASSERT_TRUE(controller);
  if (controller->version != CgroupVersion::v2)
    GTEST_SKIP() << "memory.oom.group needs cgroup v2; this host's memory controller is on v1 "
                    "(Watch.ReportsBackToBackKillsInAWatchedCgroup covers v1)";
  auto cgroup = TestCgroup::make("group");
  ASSERT_TRUE(cgroup);
  ASSERT_TRUE(cgroup->fs().set_limit(cgroup->dir(), 64 << 20));
  ASSERT_TRUE(cgroup->fs().set_oom_group(cgroup->dir()));
  Scratch scratch;
  const std::string reports = scratch / "reports";
  Watcher watcher(cgroup->dir(), reports, scratch / "watch.err");
  ASSERT_TRUE(watcher.wait_until_tracing()) << slurp(scratch / "watch.err");

  const int holder = start_in_cgroup(cgroup->dir().string(),
                                     {built("tests/workload"), "pid:" + scratch / "holder", "anon:8", "sleep:60000"});
  std::this_thread::sleep_for(300ms);
  const int leaker = start_in_cgroup(cgroup->dir().string(), {built("tests/workload"), "leak"});
  EXPECT_EQ(wait_program(leaker), 128 + SIGKILL);
  EXPECT_EQ(wait_program(holder), 128 + SIGKILL);  // killed with the group
  wait_for_reports(reports, 1);
  EXPECT_EQ(watcher.stop(), 0);

  auto all = reports_in(reports);
  ASSERT_EQ(all.size(), 1u) << "one OOM, one report";
  expect_contract(all[0]);
  std::set<int> pids;
  for (const auto& victim : all[0]["oom"]["victims"]) pids.insert(victim["pid"].get<int>());
  EXPECT_EQ(pids, (std::set<int>{holder, leaker}));
}

}  // namespace
}  // namespace oomtrace::test
