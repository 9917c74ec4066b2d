// The tracing engine shared by `run` and `watch`: the tracer's events and the cgroup samples
// flow into reports, one per OOM kill, written the moment the kill's victims are all in.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cgroup.hpp"
#include "features.hpp"
#include "names.hpp"
#include "render.hpp"
#include "timeline.hpp"
#include "tracer.hpp"

namespace oomtrace {

struct SessionOptions {
  fs::path report_dir;
  std::vector<Format> formats;
  TracerOptions tracer;
  // `run`: every report is about this cgroup. `watch`: about the cgroup whose limit was hit.
  std::optional<fs::path> report_cgroup;
  // Subtrees whose cgroups are sampled for the timeline (and named before they vanish).
  std::vector<fs::path> sampled_roots;
};

class Session final : public EventSink {
 public:
  Session(const CgroupFs& cgroups, TierChoice choice, SessionOptions options);
  ~Session() override;

  [[nodiscard]] Result<void> start();
  // Polls for events up to timeout_ms, takes the per-second samples, writes finished reports.
  [[nodiscard]] Result<void> step(int timeout_ms);
  // Drains what is left and writes every pending report.
  [[nodiscard]] Result<void> finish();
  [[nodiscard]] Result<void> write_exit_report();
  // Seeds the OOM baseline of a cgroup made after start() (its OOM count is 0).
  void note_new_cgroup(const fs::path& dir);

  std::size_t reports_written() const { return reports_written_; }
  TracerCounters counters() const { return tracer_->counters(); }
  const std::vector<fs::path>& report_paths() const { return report_paths_; }

  void on_victim(const oomtrace_victim_event& event) override;
  void on_name(const oomtrace_name_event& event) override;

 private:
  struct Tracked {
    fs::path dir;
    Timeline timeline;
  };
  // A removed cgroup's last samples are kept this long, for a report that arrives late.
  static constexpr auto kKeepRemoved = std::chrono::minutes(2);
  struct PendingOom {
    std::vector<oomtrace_victim_event> victims;
    std::chrono::steady_clock::time_point last_victim;
  };

  void sample();
  std::optional<fs::path> path_of(std::uint64_t id);
  std::string cgroup_name(std::uint64_t id);
  [[nodiscard]] Result<void> write_report(const PendingOom* oom);
  [[nodiscard]] Result<void> flush(bool all);

  const CgroupFs& cgroups_;
  TierChoice choice_;
  SessionOptions options_;
  std::unique_ptr<Tracer> tracer_;
  MountTable mounts_;
  std::map<std::pair<std::uint32_t, std::uint64_t>, std::string> names_;
  std::map<std::uint64_t, Tracked> tracked_;
  std::vector<PendingOom> pending_;
  WallClock::time_point since_;
  std::chrono::steady_clock::time_point next_sample_;
  std::size_t reports_written_ = 0;
  std::vector<fs::path> report_paths_;
  std::string kernel_;
  std::uint64_t swap_total_ = 0;
};

}  // namespace oomtrace
