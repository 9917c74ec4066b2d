// The edge: parse the command line, run one command, turn an Error into one line and a status.
#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>

#include "commands.hpp"
#include "log.hpp"
#include "size.hpp"

#ifndef OOMTRACE_VERSION
#define OOMTRACE_VERSION "0.0.0"
#endif

namespace {

using namespace oomtrace;

// SIZE is checked while parsing, so a bad one is a usage error like any other.
CLI::Validator size_check() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        auto size = parse_size(text);
        return size ? std::string() : size.error().message;
      },
      "SIZE");
}

void add_trace_options(CLI::App& command, TraceOptions& trace, std::string& formats) {
  command.add_option("--report-dir", trace.report_dir, "where reports are written")
      ->capture_default_str();
  command.add_option("--format", formats, "comma list of text,json,html")->capture_default_str();
  command.add_option("--max-files", trace.tracer.max_files,
                     "file entries kept in the kernel (LRU; evictions are reported)")
      ->capture_default_str();
  command.add_option("--max-processes", trace.tracer.max_charges,
                     "per-process charge entries kept in the kernel")
      ->capture_default_str();
  command.add_option("--ringbuf-size", trace.tracer.ringbuf_bytes, "ring buffer bytes (power of 2)")
      ->capture_default_str();
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"oomtrace: explains OOM kills in memory cgroups, down to files and processes"};
  app.set_version_flag("--version", OOMTRACE_VERSION);
  app.require_subcommand(1);
  int verbosity = 0;
  app.add_flag("-v,--verbose", verbosity, "more logging (-vv: libbpf too)");

  DoctorOptions doctor;
  auto* doctor_cmd = app.add_subcommand("doctor", "probe the kernel and cgroups, say which tier is used");
  doctor_cmd->add_flag("--json", doctor.json, "print JSON");

  RunOptions run;
  std::string run_memory, run_formats = "text,json";
  auto* run_cmd = app.add_subcommand("run", "run CMD in a new memory cgroup and report its OOM kills");
  run_cmd->add_option("--memory", run_memory, "limit of the cgroup (SIZE: 512M, 1G, ...)")
      ->check(size_check());
  run_cmd->add_option("--parent", run.parent, "cgroup to create it under (default: your own)");
  run_cmd->add_flag("--report-on-exit", run.report_on_exit, "also write a report when CMD exits");
  add_trace_options(*run_cmd, run.trace, run_formats);
  run_cmd->add_option("command", run.command, "CMD [ARGS...], after --");

  WatchOptions watch;
  std::string watch_formats = "text,json";
  auto* watch_cmd = app.add_subcommand("watch", "trace the host or some cgroups and report every OOM kill");
  watch_cmd->add_option("--cgroup", watch.cgroups, "cgroup directory to trace, with everything below");
  watch_cmd->add_option("--duration", watch.duration_seconds, "stop after SECS")
      ->check(CLI::PositiveNumber);
  add_trace_options(*watch_cmd, watch.trace, watch_formats);

  ReportOptions report;
  std::string report_format = "text";
  auto* report_cmd = app.add_subcommand("report", "render a saved report");
  report_cmd->add_option("file", report.input, "FILE.json")->required();
  report_cmd->add_option("--format", report_format, "text, json or html")->capture_default_str();
  report_cmd->add_option("-o,--output", report.output, "write here instead of stdout");

  const auto is_command = [&](const char* name) {
    return std::ranges::any_of(app.get_subcommands({}), [&](const CLI::App* sub) { return sub->check_name(name); });
  };
  if (argc > 1 && argv[1][0] != '-' && !is_command(argv[1])) {
    std::fprintf(stderr, "oomtrace: unknown command '%s': use doctor, run, watch or report\n", argv[1]);
    return static_cast<int>(ExitCode::usage);
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "oomtrace: %s (see oomtrace --help)\n", e.what());
    return static_cast<int>(ExitCode::usage);
  }
  setup_logging(verbosity);

  auto parse_trace_formats = [](TraceOptions& trace, const std::string& list) -> Result<void> {
    auto formats = parse_formats(list);
    if (!formats) return std::unexpected(formats.error());
    trace.formats = *formats;
    return {};
  };

  Result<int> status = fail("no command");
  if (doctor_cmd->parsed()) {
    status = run_doctor(doctor);
  } else if (run_cmd->parsed()) {
    if (!run_memory.empty()) run.memory = *parse_size(run_memory);
    auto formats = parse_trace_formats(run.trace, run_formats);
    status = formats ? run_run(run) : std::unexpected(formats.error());
  } else if (watch_cmd->parsed()) {
    auto formats = parse_trace_formats(watch.trace, watch_formats);
    status = formats ? run_watch(watch) : std::unexpected(formats.error());
  } else if (report_cmd->parsed()) {
    auto formats = parse_formats(report_format);
    if (formats && formats->size() == 1) {
      report.format = formats->front();
      status = run_report(report);
    } else {
      status = fail(ExitCode::usage, "invalid --format '{}': use one of text, json, html", report_format);
    }
  }
  if (!status) {
    std::fprintf(stderr, "oomtrace: %s\n", status.error().message.c_str());
    return static_cast<int>(status.error().exit_code);
  }
  return *status;
}
