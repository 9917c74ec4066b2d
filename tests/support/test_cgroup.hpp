// Test support: a memory cgroup made below this process's own cgroup, never anywhere else,
// with its members killed and the directory removed when the test ends.
#pragma once

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>

#include "cgroup.hpp"
#include "fsutil.hpp"

namespace oomtrace::test {

class TestCgroup {
 public:
  // nullptr when it cannot be made (no memory controller, not root).
  static std::unique_ptr<TestCgroup> make(const std::string& name) {
    auto controller = discover_memory_controller();
    if (!controller) return nullptr;
    CgroupFs cgroups(*controller);
    fs::path dir = controller->self / fmt::format("oomtrace-test-{}-{}", name, ::getpid());
    if (!cgroups.create(dir)) return nullptr;
    return std::unique_ptr<TestCgroup>(new TestCgroup(std::move(cgroups), std::move(dir)));
  }
  TestCgroup(const TestCgroup&) = delete;
  TestCgroup& operator=(const TestCgroup&) = delete;
  ~TestCgroup() {
    if (dir_.empty()) return;
    for (int round = 0; round < 100; ++round) {
      auto procs = read_file(dir_ / "cgroup.procs");
      if (!procs || procs->empty()) break;
      std::istringstream pids(*procs);
      for (pid_t pid; pids >> pid;) ::kill(pid, SIGKILL);
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    (void)cgroups_.remove(dir_);
  }

  const fs::path& dir() const { return dir_; }
  const CgroupFs& fs() const { return cgroups_; }

 private:
  TestCgroup(CgroupFs cgroups, fs::path dir) : cgroups_(std::move(cgroups)), dir_(std::move(dir)) {}
  CgroupFs cgroups_;
  fs::path dir_;
};

}  // namespace oomtrace::test
