// Test support: run a program, capture its output and exit status.
#pragma once

#include <string>
#include <vector>

namespace oomtrace::test {

struct Outcome {
  int status = -1;  // exit status, or 128 + signal
  std::string out;
  std::string err;
};

// Runs argv (argv[0] a path) with output sent to temporary files, waits for it.
Outcome run_program(const std::vector<std::string>& argv);

// Starts argv in the background with stderr to `err_path`; returns the pid.
int spawn_program(const std::vector<std::string>& argv, const std::string& err_path);

// Waits for pid; its status as Outcome::status.
int wait_program(int pid);

std::string slurp(const std::string& path);

// A path below $TMPDIR (or /tmp): the QEMU guests point it at a disk-backed filesystem.
std::string temp_dir_path(const std::string& name);

// Path of a built program, from the OOMTRACE_BUILD_DIR compile definition.
std::string built(const std::string& relative);

}  // namespace oomtrace::test

namespace oomtrace::test {

// Starts argv inside the cgroup `dir` (it joins before exec): its pid.
int start_in_cgroup(const std::string& dir, const std::vector<std::string>& argv);
// The same, waiting: its exit status.
int run_in_cgroup(const std::string& dir, const std::vector<std::string>& argv);

}  // namespace oomtrace::test
