// Attribution end to end: every file and shmem object a workload made, with its resident size
// checked against mincore (fincore's method) taken inside the cgroup, and its charger.
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "e2e.hpp"
#include "root.hpp"

namespace oomtrace::test {
namespace {

constexpr double MiB = 1 << 20;

Outcome oomtrace(std::vector<std::string> args) {
  args.insert(args.begin(), built("oomtrace"));
  return run_program(args);
}

// A file written outside the cgroup, with its page cache dropped so that reading it later
// charges the reader.
void make_cold_file(const std::string& path, std::size_t mib) {
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0644);
  ASSERT_GE(fd, 0);
  std::vector<char> chunk(1 << 20, 'r');
  for (std::size_t i = 0; i < mib; ++i) ASSERT_EQ(::write(fd, chunk.data(), chunk.size()), (ssize_t)chunk.size());
  ASSERT_EQ(::fdatasync(fd), 0);
  ASSERT_EQ(::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED), 0);
  void* map = ::mmap(nullptr, mib << 20, PROT_READ, MAP_SHARED, fd, 0);
  ASSERT_NE(map, MAP_FAILED);
  std::vector<unsigned char> vec((mib << 20) / 4096);
  ASSERT_EQ(::mincore(map, mib << 20, vec.data()), 0);
  std::size_t resident = 0;
  for (auto v : vec) resident += v & 1;
  EXPECT_LT(resident, vec.size() / 20) << "the cache was not dropped";
  ::munmap(map, mib << 20);
  ::close(fd);
}

std::string report_name(const Truth& truth) {
  if (truth.kind == "memfd") return "/memfd:" + truth.key + " (deleted)";
  return truth.key;
}

TEST(Attribution, EveryFileAndShmemObjectMatchesFincoreAndItsCharger) {
  OOMTRACE_REQUIRE_ROOT();
  Scratch scratch;
  const std::string cold = scratch / "cold", written = scratch / "written";
  make_cold_file(cold, 20);
  const std::string shm_write = scratch.shm("write"), shm_mmap = scratch.shm("mmap");
  auto outcome = oomtrace({"run", "--memory", "512M", "--report-on-exit", "--report-dir", scratch / "r", "--",
                           built("tests/workload"), "write:" + written + ":30", "read:" + cold,
                           "shm:" + shm_write + ":25", "shm-mmap:" + shm_mmap + ":16", "memfd:e2e-cache:8",
                           "truth:" + scratch / "truth", "hold:3000"});
  ASSERT_EQ(outcome.status, 0) << outcome.err;
  auto truth = read_truth(scratch / "truth");
  ASSERT_EQ(truth.size(), 5u);
  auto all = reports_in(scratch / "r");
  ASSERT_EQ(all.size(), 1u);
  const json& report = all[0];
  expect_contract(report);
  EXPECT_EQ(report["reason"], "exit");

  for (const Truth& object : truth) {
    SCOPED_TRACE(object.kind + " " + object.key);
    EXPECT_GT(object.resident, 7 * MiB) << "the workload's own ground truth is off";
    const json* file = find_file(report, report_name(object));
    ASSERT_NE(file, nullptr) << report["files"].dump(1);
    EXPECT_EQ((*file)["kind"], object.kind == "file" ? "file" : "shmem");
    const double resident = (*file)["resident_bytes"].get<double>();
    EXPECT_NEAR(resident, static_cast<double>(object.resident), 0.05 * static_cast<double>(object.resident));
    ASSERT_FALSE((*file)["chargers"].empty());
    EXPECT_EQ((*file)["chargers"][0]["pid"], object.pid);
    EXPECT_EQ((*file)["chargers"][0]["comm"], "workload");
  }

  // The workload charged all of it; it has exited by the exit report.
  ASSERT_FALSE(report["processes"].empty());
  const json& top = report["processes"][0];
  EXPECT_EQ(top["pid"], truth[0].pid);
  EXPECT_NEAR(top["file_bytes"].get<double>(), 50 * MiB, 0.05 * 50 * MiB);
  EXPECT_NEAR(top["shmem_bytes"].get<double>(), 49 * MiB, 0.05 * 49 * MiB);
  EXPECT_TRUE(top["exited"].get<bool>());
  EXPECT_LT(report["untracked"]["shmem_bytes"].get<double>(), 2 * MiB);
}

TEST(Attribution, ShmemAndAnonAreAttributedInTheOomReport) {
  OOMTRACE_REQUIRE_ROOT();
  Scratch scratch;
  const std::string shm = scratch.shm("oom");
  auto outcome = oomtrace({"run", "--memory", "64M", "--report-dir", scratch / "r", "--", built("tests/workload"),
                           "shm:" + shm + ":20", "memfd:oom-buf:8", "sysv:4", "shared-anon:4",
                           "truth:" + scratch / "truth", "sleep:1200", "leak"});
  EXPECT_EQ(outcome.status, 128 + SIGKILL) << outcome.err;
  auto truth = read_truth(scratch / "truth");
  ASSERT_EQ(truth.size(), 4u);
  const int pid = truth[0].pid;
  auto all = reports_in(scratch / "r");
  ASSERT_EQ(all.size(), 1u);
  const json& report = all[0];
  expect_contract(report);

  const json* shm_file = find_file(report, shm);
  ASSERT_NE(shm_file, nullptr) << report["files"].dump(1);
  EXPECT_NEAR((*shm_file)["resident_bytes"].get<double>(), 20 * MiB, 0.05 * 20 * MiB);
  EXPECT_EQ((*shm_file)["chargers"][0]["pid"], pid);
  // The victim's memfd, SysV segment and shared mapping were still resident at the kill.
  bool memfd = false, sysv = false, shared_anon = false;
  for (const auto& file : report["files"]) {
    const std::string name = file["name"];
    memfd |= name == "/memfd:oom-buf (deleted)";
    sysv |= name.starts_with("/SYSV") && name.ends_with(" (deleted)");
    shared_anon |= name == "/dev/zero (deleted)";
  }
  EXPECT_TRUE(memfd && sysv && shared_anon) << report["files"].dump(1);

  ASSERT_FALSE(report["processes"].empty());
  const json& victim = report["processes"][0];
  EXPECT_EQ(victim["pid"], pid);
  EXPECT_GT(victim["anon_bytes"].get<double>(), 20 * MiB);
  EXPECT_NEAR(victim["shmem_bytes"].get<double>(), 36 * MiB, 0.05 * 36 * MiB);
  EXPECT_NEAR(report["cgroup"]["stat"]["shmem_bytes"].get<double>(), 36 * MiB, 0.05 * 36 * MiB);
}

}  // namespace
}  // namespace oomtrace::test
