// The four commands, each taking its parsed options and returning an exit status.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "error.hpp"
#include "render.hpp"
#include "tracer.hpp"

namespace oomtrace {

struct DoctorOptions {
  bool json = false;
};

struct TraceOptions {  // shared by run and watch
  std::string report_dir = "./oomtrace-reports";
  std::vector<Format> formats{Format::text, Format::json};
  TracerOptions tracer;
};

struct RunOptions {
  TraceOptions trace;
  std::optional<std::uint64_t> memory;
  std::optional<std::string> parent;
  bool report_on_exit = false;
  std::vector<std::string> command;
};

struct WatchOptions {
  TraceOptions trace;
  std::vector<std::string> cgroups;
  std::optional<double> duration_seconds;
};

struct ReportOptions {
  std::string input;
  Format format = Format::text;
  std::optional<std::string> output;
};

[[nodiscard]] Result<int> run_doctor(const DoctorOptions& options);
[[nodiscard]] Result<int> run_run(const RunOptions& options);
[[nodiscard]] Result<int> run_watch(const WatchOptions& options);
[[nodiscard]] Result<int> run_report(const ReportOptions& options);

}  // namespace oomtrace
