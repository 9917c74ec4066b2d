// Test support: a memory cgroup made below this process's own cgroup, never anywhere else,
// with its members killed and the directory removed when the test ends.
#pragma once

#include <unistd.h>

#include <memory>
#include <optional>
#include <string>

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
    cgroups_.kill_members(dir_);
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
