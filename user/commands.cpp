#include "commands.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <spdlog/spdlog.h>
#include <thread>

#include "cgroup.hpp"
#include "doctor.hpp"
#include "features.hpp"
#include "fsutil.hpp"
#include "host.hpp"
#include "session.hpp"

namespace oomtrace {
namespace {

using namespace std::chrono_literals;

std::atomic<int> stop_signal{0};
std::atomic<pid_t> forward_to{0};

void on_stop_signal(int signal) {
  stop_signal = signal;
  if (pid_t child = forward_to.load(); child > 0) ::kill(child, signal);
}

// SIGINT/SIGTERM stop the session (run: they go to CMD first); no SA_RESTART, so the ring
// buffer poll returns at once.
void install_stop_handlers() {
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  ::sigaction(SIGINT, &action, nullptr);
  ::sigaction(SIGTERM, &action, nullptr);
}

Result<TierChoice> tracing_choice() {
  KernelFeatures features;
  TierChoice choice = choose_tier(features);
  if (!choice.can_trace) return fail("cannot trace: {}", choice.blocker);
  for (const auto& note : choice.notes) spdlog::info("{}", note);
  spdlog::debug("tier {}: {}", tier_name(choice.tier), fmt::join(choice.programs, ", "));
  return choice;
}

Result<CgroupFs> cgroup_fs() {
  auto controller = discover_memory_controller();
  if (!controller) return std::unexpected(controller.error());
  return CgroupFs(*controller);
}

Result<void> prepare_report_dir(const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec || !fs::is_directory(dir))
    return fail(ExitCode::usage, "cannot create --report-dir {}: {}", dir,
                ec ? ec.message() : "not a directory");
  if (::access(dir.c_str(), W_OK) != 0)
    return fail(ExitCode::usage, "cannot write to --report-dir {}: {}", dir, errno_text(errno));
  return {};
}

Result<fs::path> memory_cgroup_dir(const CgroupFs& cgroups, const std::string& dir,
                                   const char* flag) {
  fs::path path = fs::absolute(dir).lexically_normal();
  std::error_code ec;
  if (!fs::is_directory(path, ec))
    return fail(ExitCode::usage, "{} {}: no such cgroup directory", flag, dir);
  if (!cgroups.has_memory_controller(path))
    return fail(ExitCode::usage, "{} {}: not a cgroup with the memory controller (cgroup v{} is "
                "mounted at {})", flag, dir, static_cast<int>(cgroups.version()),
                cgroups.controller().mount.string());
  return path;
}

// The cgroup `run` makes for CMD: every member is killed and the directory removed when it
// goes out of scope, whatever path left the command.
class TransientCgroup {
 public:
  TransientCgroup(const CgroupFs& cgroups, fs::path dir) : cgroups_(cgroups), dir_(std::move(dir)) {}
  ~TransientCgroup() {
    cgroups_.kill_members(dir_);
    if (auto removed = cgroups_.remove(dir_); !removed) spdlog::warn("{}", removed.error().message);
  }
  TransientCgroup(const TransientCgroup&) = delete;
  TransientCgroup& operator=(const TransientCgroup&) = delete;
  const fs::path& dir() const { return dir_; }

 private:
  const CgroupFs& cgroups_;
  fs::path dir_;
};

// Forks CMD, moves it into `dir` before it execs, then lets it go.
Result<pid_t> spawn_in_cgroup(const CgroupFs& cgroups, const fs::path& dir,
                              const std::vector<std::string>& command) {
  int gate[2];
  if (::pipe2(gate, O_CLOEXEC) != 0) return fail("pipe: {}", errno_text(errno));
  pid_t child = ::fork();
  if (child < 0) return fail("fork: {}", errno_text(errno));
  if (child == 0) {
    ::close(gate[1]);
    char go = 0;
    if (::read(gate[0], &go, 1) != 1) ::_exit(127);
    std::vector<char*> argv;
    for (const auto& arg : command) argv.push_back(const_cast<char*>(arg.c_str()));
    argv.push_back(nullptr);
    ::execvp(argv[0], argv.data());
    std::fprintf(stderr, "oomtrace: cannot run %s: %s\n", argv[0], std::strerror(errno));
    ::_exit(127);
  }
  ::close(gate[0]);
  auto added = cgroups.add_process(dir, child);
  if (!added) {
    ::close(gate[1]);
    ::kill(child, SIGKILL);
    ::waitpid(child, nullptr, 0);
    return std::unexpected(added.error());
  }
  char go = 1;
  [[maybe_unused]] auto ignored = ::write(gate[1], &go, 1);
  ::close(gate[1]);
  return child;
}

int exit_status(int wait_status) {
  if (WIFEXITED(wait_status)) return WEXITSTATUS(wait_status);
  if (WIFSIGNALED(wait_status)) return 128 + WTERMSIG(wait_status);
  return 1;
}

SessionOptions session_options(const TraceOptions& trace) {
  return SessionOptions{trace.report_dir, trace.formats, trace.tracer, std::nullopt, {}};
}

}  // namespace

Result<int> run_doctor(const DoctorOptions& options) {
  KernelFeatures features;
  DoctorReport report = assess(features, kernel_release());
  if (report.choice.can_trace) {
    // Load the whole tracer once more, to show what its maps cost.
    struct NoEvents final : EventSink {
      void on_victim(const oomtrace_victim_event&) override {}
      void on_name(const oomtrace_name_event&) override {}
    } sink;
    if (auto tracer = Tracer::start(report.choice, TracerOptions{}, sink))
      report.maps = (*tracer)->map_memory();
    else
      spdlog::warn("{}", tracer.error().message);
  }
  std::fputs((options.json ? render_doctor_json(report) : render_doctor_text(report)).c_str(), stdout);
  if (!report.choice.can_trace) {
    spdlog::error("tracing cannot run: {}", report.choice.blocker);
    return static_cast<int>(ExitCode::failure);
  }
  return 0;
}

Result<int> run_run(const RunOptions& options) {
  if (options.command.empty())
    return fail(ExitCode::usage, "run: no command given: use oomtrace run [OPTIONS] -- CMD [ARGS...]");
  auto cgroups = cgroup_fs();
  if (!cgroups) return std::unexpected(cgroups.error());
  fs::path parent = cgroups->controller().self;
  if (options.parent) {
    auto dir = memory_cgroup_dir(*cgroups, *options.parent, "--parent");
    if (!dir) return std::unexpected(dir.error());
    parent = *dir;
  }
  if (auto ready = prepare_report_dir(options.trace.report_dir); !ready) return std::unexpected(ready.error());
  auto choice = tracing_choice();
  if (!choice) return std::unexpected(choice.error());

  const fs::path dir = parent / fmt::format("oomtrace-run-{}", ::getpid());
  if (auto created = cgroups->create(dir); !created)
    return fail("{} (choose another --parent)", created.error().message);
  TransientCgroup cgroup(*cgroups, dir);
  if (options.memory)
    if (auto limited = cgroups->set_limit(dir, *options.memory); !limited)
      return std::unexpected(limited.error());
  auto id = CgroupFs::id(dir);
  if (!id) return std::unexpected(id.error());

  SessionOptions session_opts = session_options(options.trace);
  session_opts.tracer.cgroup_roots = {*id};
  session_opts.report_cgroup = dir;
  session_opts.sampled_roots = {dir};
  Session session(*cgroups, *choice, session_opts);
  if (auto started = session.start(); !started) return std::unexpected(started.error());
  session.note_new_cgroup(dir);

  install_stop_handlers();
  auto child = spawn_in_cgroup(*cgroups, dir, options.command);
  if (!child) return std::unexpected(child.error());
  forward_to = *child;
  spdlog::debug("running {} in {}", options.command.front(), dir.string());

  int wait_status = 0;
  for (;;) {
    if (auto stepped = session.step(100); !stepped) spdlog::error("{}", stepped.error().message);
    pid_t done = ::waitpid(*child, &wait_status, WNOHANG);
    if (done == *child) break;
  }
  forward_to = 0;
  // A kill's last events may still be in flight when CMD is reaped.
  for (auto until = std::chrono::steady_clock::now() + 100ms; std::chrono::steady_clock::now() < until;)
    if (auto stepped = session.step(20); !stepped) break;
  if (auto finished = session.finish(); !finished) spdlog::error("{}", finished.error().message);
  if (options.report_on_exit)
    if (auto written = session.write_exit_report(); !written) spdlog::error("{}", written.error().message);
  return exit_status(wait_status);
}

Result<int> run_watch(const WatchOptions& options) {
  auto cgroups = cgroup_fs();
  if (!cgroups) return std::unexpected(cgroups.error());
  SessionOptions session_opts = session_options(options.trace);
  for (const auto& dir : options.cgroups) {
    auto path = memory_cgroup_dir(*cgroups, dir, "--cgroup");
    if (!path) return std::unexpected(path.error());
    auto id = CgroupFs::id(*path);
    if (!id) return std::unexpected(id.error());
    session_opts.tracer.cgroup_roots.push_back(*id);
    session_opts.sampled_roots.push_back(*path);
  }
  if (session_opts.sampled_roots.empty()) session_opts.sampled_roots = {cgroups->controller().mount};
  if (auto ready = prepare_report_dir(options.trace.report_dir); !ready) return std::unexpected(ready.error());
  auto choice = tracing_choice();
  if (!choice) return std::unexpected(choice.error());

  Session session(*cgroups, *choice, session_opts);
  if (auto started = session.start(); !started) return std::unexpected(started.error());
  install_stop_handlers();
  std::fputs("watch: tracing\n", stderr);
  std::fflush(stderr);

  const auto deadline = options.duration_seconds
                            ? std::optional(std::chrono::steady_clock::now() +
                                            std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                                std::chrono::duration<double>(*options.duration_seconds)))
                            : std::nullopt;
  while (stop_signal == 0 && (!deadline || std::chrono::steady_clock::now() < *deadline))
    if (auto stepped = session.step(100); !stepped) spdlog::error("{}", stepped.error().message);
  if (auto finished = session.finish(); !finished) return std::unexpected(finished.error());
  const TracerCounters counters = session.counters();
  spdlog::info("watch: {} report(s) written; {} events lost, {} file and {} process entries evicted",
               session.reports_written(), counters.ringbuf_drops, counters.file_evictions(),
               counters.charge_evictions());
  return 0;
}

Result<int> run_report(const ReportOptions& options) {
  auto text = read_file(options.input);
  if (!text) return fail(ExitCode::bad_input, "{}", text.error().message);
  auto report = parse_report_json(*text);
  if (!report) return fail(ExitCode::bad_input, "{}: {}", options.input, report.error().message);
  std::string rendered = render(*report, options.format);
  if (!options.output) {
    std::fputs(rendered.c_str(), stdout);
    return 0;
  }
  if (auto written = write_atomically(*options.output, rendered); !written)
    return std::unexpected(written.error());
  return 0;
}

}  // namespace oomtrace
