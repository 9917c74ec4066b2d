// Beside Debian's libbpf-tools oomkill (a kprobe on oom_kill_process) on the same OOM kills:
// oomtrace must report every victim that oomkill reports. oomkill needs kprobes, so this runs
// in the QEMU guests (scripts/vm/run.sh); on the 6.18 host it says why it cannot.
#include <signal.h>

#include <chrono>
#include <regex>
#include <set>
#include <thread>

#include "e2e.hpp"
#include "root.hpp"
#include "test_cgroup.hpp"

namespace oomtrace::test {
namespace {

using namespace std::chrono_literals;

bool wait_for(const std::string& path, const std::string& text) {
  for (int i = 0; i < 3000; ++i) {
    if (slurp(path).find(text) != std::string::npos) return true;
    std::this_thread::sleep_for(20ms);
  }
  return false;
}

// Its stdout is buffered, so attachment is seen in its fds: a bpf_link once the kprobe is on.
bool wait_for_bpf_link(int pid) {
  for (int i = 0; i < 3000; ++i) {
    std::error_code ec;
    for (const auto& fd : fs::directory_iterator(fmt::format("/proc/{}/fd", pid), ec))
      if (fs::read_symlink(fd.path(), ec).string() == "anon_inode:bpf_link") return true;
    std::this_thread::sleep_for(20ms);
  }
  return false;
}

TEST(Oomkill, OomtraceReportsEveryVictimThatOomkillReports) {
  OOMTRACE_REQUIRE_ROOT();
  const std::string oomkill = "/usr/sbin/oomkill";
  if (::access(oomkill.c_str(), X_OK) != 0) GTEST_SKIP() << "libbpf-tools oomkill is not installed";
  if (::access("/sys/bus/event_source/devices/kprobe", F_OK) != 0)
    GTEST_SKIP() << "oomkill needs kprobes, which this kernel lacks; the QEMU guests run this test";
  auto cgroup = TestCgroup::make("oomkill");
  ASSERT_TRUE(cgroup);
  ASSERT_TRUE(cgroup->fs().set_limit(cgroup->dir(), 40 << 20));
  Scratch scratch;
  const std::string reports = scratch / "reports";

  const int watch = spawn_program({built("oomtrace"), "watch", "--cgroup", cgroup->dir().string(), "--report-dir",
                                   reports, "--format", "json"},
                                  scratch / "watch.err");
  // oomkill prints to stdout, block-buffered when redirected: it flushes when stopped by SIGINT.
  const int tool = fork();
  if (tool == 0) {
    std::freopen((scratch / "oomkill.out").c_str(), "w", stdout);
    std::freopen((scratch / "oomkill.err").c_str(), "w", stderr);
    ::execl(oomkill.c_str(), oomkill.c_str(), nullptr);
    ::_exit(127);
  }
  ASSERT_TRUE(wait_for(scratch / "watch.err", "watch: tracing")) << slurp(scratch / "watch.err");
  ASSERT_TRUE(wait_for_bpf_link(tool)) << "oomkill did not attach: " << slurp(scratch / "oomkill.err");

  for (int round = 0; round < 3; ++round)
    EXPECT_EQ(run_in_cgroup(cgroup->dir().string(), {built("tests/workload"), "leak"}), 128 + SIGKILL);
  std::this_thread::sleep_for(1s);
  ::kill(tool, SIGINT);
  wait_program(tool);
  ::kill(watch, SIGINT);
  EXPECT_EQ(wait_program(watch), 0) << slurp(scratch / "watch.err");

  std::set<int> by_oomkill, by_oomtrace;
  const std::string out = slurp(scratch / "oomkill.out");
  const std::regex kill_line(R"(OOM kill of PID (\d+))");
  for (std::sregex_iterator it(out.begin(), out.end(), kill_line), end; it != end; ++it)
    by_oomkill.insert(std::stoi((*it)[1]));
  for (const auto& report : reports_in(reports))
    for (const auto& victim : report["oom"]["victims"]) by_oomtrace.insert(victim["pid"].get<int>());
  EXPECT_EQ(by_oomkill.size(), 3u) << out;
  for (int pid : by_oomkill) EXPECT_TRUE(by_oomtrace.contains(pid)) << "oomkill saw pid " << pid << ", oomtrace did not";
  std::printf("oomkill reported %zu victims, oomtrace %zu\n", by_oomkill.size(), by_oomtrace.size());
}

}  // namespace
}  // namespace oomtrace::test
