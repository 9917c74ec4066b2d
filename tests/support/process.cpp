#include "process.hpp"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace oomtrace::test {
namespace {

int status_of(int wait_status) {
  if (WIFEXITED(wait_status)) return WEXITSTATUS(wait_status);
  if (WIFSIGNALED(wait_status)) return 128 + WTERMSIG(wait_status);
  return -1;
}

std::string temp_path(const char* tag) {
  std::string path = temp_dir_path("oomtrace-test-XXXXXX");
  int fd = ::mkstemp(path.data());
  if (fd >= 0) ::close(fd);
  return path + tag;
}

[[noreturn]] void exec_argv(const std::vector<std::string>& argv) {
  std::vector<char*> args;
  for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  ::execv(args[0], args.data());
  ::_exit(127);
}

pid_t fork_exec(const std::vector<std::string>& argv, const std::string& out, const std::string& err) {
  pid_t pid = ::fork();
  if (pid == 0) {
    int out_fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int err_fd = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ::dup2(out_fd, 1);
    ::dup2(err_fd, 2);
    int null_fd = ::open("/dev/null", O_RDONLY);
    ::dup2(null_fd, 0);
    exec_argv(argv);
  }
  return pid;
}

}  // namespace

std::string temp_dir_path(const std::string& name) {
  const char* tmpdir = std::getenv("TMPDIR");
  return std::string(tmpdir && *tmpdir ? tmpdir : "/tmp") + "/" + name;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

Outcome run_program(const std::vector<std::string>& argv) {
  const std::string out = temp_path(".out"), err = temp_path(".err");
  pid_t pid = fork_exec(argv, out, err);
  Outcome outcome;
  outcome.status = wait_program(pid);
  outcome.out = slurp(out);
  outcome.err = slurp(err);
  ::unlink(out.c_str());
  ::unlink(err.c_str());
  return outcome;
}

int spawn_program(const std::vector<std::string>& argv, const std::string& err_path) {
  return fork_exec(argv, "/dev/null", err_path);
}

int wait_program(int pid) {
  int wait_status = 0;
  if (::waitpid(pid, &wait_status, 0) != pid) return -1;
  return status_of(wait_status);
}

std::string built(const std::string& relative) {
  return std::string(OOMTRACE_BUILD_DIR) + "/" + relative;
}

}  // namespace oomtrace::test

namespace oomtrace::test {

int start_in_cgroup(const std::string& dir, const std::vector<std::string>& argv) {
  pid_t pid = ::fork();
  if (pid == 0) {
    int fd = ::open((dir + "/cgroup.procs").c_str(), O_WRONLY);
    if (fd < 0 || ::write(fd, "0", 1) != 1) ::_exit(126);
    ::close(fd);
    exec_argv(argv);
  }
  return pid;
}

int run_in_cgroup(const std::string& dir, const std::vector<std::string>& argv) {
  return wait_program(start_in_cgroup(dir, argv));
}

}  // namespace oomtrace::test
