#include "session.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fstream>

#include "attribution.hpp"
#include "fsutil.hpp"
#include "host.hpp"

namespace oomtrace {
namespace {

using namespace std::chrono_literals;

// Victims of one OOM arrive together (one out_of_memory() call marks a whole group); a report
// waits this long after the last one before it is written.
constexpr auto kGroupWindow = 30ms;
constexpr auto kSampleInterval = 1s;
constexpr std::size_t kMaxSampledCgroups = 512;

std::string comm_text(const char (&comm)[OOMTRACE_COMM_LEN]) {
  return std::string(comm, strnlen(comm, OOMTRACE_COMM_LEN));
}

std::string domain_method_name(std::uint32_t method) {
  switch (method) {
    case OOMTRACE_DOMAIN_OOM_EVENT: return "memory_events_local";
    case OOMTRACE_DOMAIN_RECENT: return "same_oom";
    case OOMTRACE_DOMAIN_AT_LIMIT: return "usage_at_limit";
    case OOMTRACE_DOMAIN_KPROBE: return "oom_control";
    default: return "none";
  }
}

// The pid-only mark_victim shape: what the kernel did not send, from /proc while it lasts.
void complete_from_proc(oomtrace_victim_event& event) {
  const std::string base = fmt::format("/proc/{}/", event.victim_pid);
  if (auto comm = read_file(base + "comm")) {
    std::string name = comm->substr(0, comm->find('\n'));
    std::snprintf(event.victim_comm, sizeof(event.victim_comm), "%s", name.c_str());
  }
  std::ifstream status(base + "status");
  std::string key;
  std::uint64_t kb = 0;
  std::string line;
  while (std::getline(status, line)) {
    if (std::sscanf(line.c_str(), "RssAnon: %lu", &kb) == 1) event.anon_rss_bytes = kb * 1024;
    if (std::sscanf(line.c_str(), "RssFile: %lu", &kb) == 1) event.file_rss_bytes = kb * 1024;
    if (std::sscanf(line.c_str(), "RssShmem: %lu", &kb) == 1) event.shmem_rss_bytes = kb * 1024;
  }
}

}  // namespace

Session::Session(const CgroupFs& cgroups, TierChoice choice, SessionOptions options)
    : cgroups_(cgroups), choice_(std::move(choice)), options_(std::move(options)) {}

Session::~Session() = default;

Result<void> Session::start() {
  mounts_ = MountTable::load();
  kernel_ = kernel_release();
  swap_total_ = swap_total_bytes();
  auto tracer = Tracer::start(choice_, options_.tracer, *this);
  if (!tracer) return std::unexpected(tracer.error());
  tracer_ = std::move(*tracer);
  since_ = WallClock::now();
  sample();
  next_sample_ = std::chrono::steady_clock::now() + kSampleInterval;
  return {};
}

void Session::note_new_cgroup(const fs::path& dir) {
  if (auto id = CgroupFs::id(dir)) {
    tracer_->seed_oom_baseline(*id);
    tracked_.try_emplace(*id, Tracked{dir, Timeline{}});
  }
}

void Session::sample() {
  // Discover the cgroups below the sampled roots (they may come and go), then sample each.
  std::size_t seen = 0;
  for (const fs::path& root : options_.sampled_roots) {
    std::error_code ec;
    auto visit = [&](const fs::path& dir) {
      if (seen++ >= kMaxSampledCgroups) return;
      if (auto id = CgroupFs::id(dir)) tracked_.try_emplace(*id, Tracked{dir, Timeline{}});
    };
    visit(root);
    for (fs::recursive_directory_iterator it(root, fs::directory_options::skip_permission_denied, ec), end;
         it != end && seen < kMaxSampledCgroups; it.increment(ec)) {
      if (ec) break;
      if (it->is_directory(ec)) visit(it->path());
    }
  }
  const auto now = WallClock::now();
  for (auto it = tracked_.begin(); it != tracked_.end();) {
    Tracked& tracked = it->second;
    auto usage = cgroups_.usage(tracked.dir);
    auto stat = usage ? cgroups_.stat(tracked.dir) : Result<MemoryStat>(std::unexpected(usage.error()));
    if (usage && stat) {
      tracked.timeline.push({now, *usage, *stat});
    } else if (const Sample* last = tracked.timeline.latest(); last && now - last->time > kKeepRemoved) {
      it = tracked_.erase(it);  // gone for good: forget it
      continue;
    }
    ++it;
  }
}

std::optional<fs::path> Session::path_of(std::uint64_t id) {
  if (auto it = tracked_.find(id); it != tracked_.end()) return it->second.dir;
  auto found = cgroups_.find_by_id(id);
  if (found) tracked_.try_emplace(id, Tracked{*found, Timeline{}});
  return found;
}

std::string Session::cgroup_name(std::uint64_t id) {
  if (auto path = path_of(id)) return cgroups_.relative(*path);
  return fmt::format("(removed cgroup, id {})", id);
}

void Session::on_victim(const oomtrace_victim_event& event) {
  oomtrace_victim_event victim = event;
  if (!victim.has_task) complete_from_proc(victim);
  const auto now = std::chrono::steady_clock::now();
  const bool same_oom = !pending_.empty() && victim.domain_method != OOMTRACE_DOMAIN_OOM_EVENT &&
                        pending_.back().victims.front().oom_memcg_id == victim.oom_memcg_id;
  if (same_oom) {
    pending_.back().victims.push_back(victim);
    pending_.back().last_victim = now;
  } else {
    pending_.push_back({{victim}, now});
  }
  // Name the cgroups now: they may be removed before the report is written.
  path_of(victim.victim_memcg_id);
  if (victim.oom_memcg_id) path_of(victim.oom_memcg_id);
}

void Session::on_name(const oomtrace_name_event& event) {
  names_.try_emplace({event.dev, event.ino}, name_from_event(mounts_, event));
}

Result<void> Session::step(int timeout_ms) {
  if (!pending_.empty()) timeout_ms = std::min(timeout_ms, 10);
  if (auto polled = tracer_->poll(timeout_ms); !polled) return polled;
  if (std::chrono::steady_clock::now() >= next_sample_) {
    sample();
    next_sample_ += kSampleInterval;
    if (next_sample_ < std::chrono::steady_clock::now())
      next_sample_ = std::chrono::steady_clock::now() + kSampleInterval;
  }
  return flush(false);
}

Result<void> Session::flush(bool all) {
  const auto now = std::chrono::steady_clock::now();
  while (!pending_.empty() && (all || now - pending_.front().last_victim >= kGroupWindow)) {
    PendingOom oom = std::move(pending_.front());
    pending_.erase(pending_.begin());
    if (auto written = write_report(&oom); !written) return written;
  }
  return {};
}

Result<void> Session::finish() {
  if (auto polled = tracer_->poll(0); !polled) return polled;
  return flush(true);
}

Result<void> Session::write_exit_report() { return write_report(nullptr); }

Result<void> Session::write_report(const PendingOom* oom) {
  Report report;
  const auto kill_time =
      oom ? boot_ns_to_wall(oom->victims.front().hdr.ts_ns) : WallClock::now();
  report.reason = oom ? "oom_kill" : "exit";
  report.time = iso_time(kill_time);
  report.kernel = kernel_;
  report.tier = std::string(tier_name(choice_.tier));
  report.cgroup_version = static_cast<int>(cgroups_.version());
  report.swap_total_bytes = swap_total_;

  std::map<std::uint32_t, std::uint64_t> victim_anon;
  if (oom) {
    const auto& first = oom->victims.front();
    OomInfo info;
    info.constraint = first.oom_memcg_id ? "memcg" : "global";
    info.domain_method = domain_method_name(first.domain_method);
    info.memcg = {first.oom_memcg_id ? cgroup_name(first.oom_memcg_id) : "/", first.oom_memcg_id,
                  first.oom_limit_bytes ? std::optional<std::uint64_t>(first.oom_limit_bytes)
                                        : std::nullopt,
                  first.oom_usage_bytes};
    info.trigger_pid = first.trigger_tgid;
    info.trigger_comm = comm_text(first.trigger_comm);
    for (const auto& v : oom->victims) {
      info.victims.push_back({v.victim_tgid, comm_text(v.victim_comm),
                              cgroup_name(v.victim_memcg_id), v.anon_rss_bytes, v.file_rss_bytes,
                              v.shmem_rss_bytes, v.oom_score_adj});
      victim_anon[v.victim_tgid] = v.anon_rss_bytes;
    }
    info.memcg.container = container_of_cgroup(info.memcg.path);
    report.oom = std::move(info);
  }

  // The cgroup the report is about, read now: it may be gone by the next sample.
  std::optional<fs::path> dir = options_.report_cgroup;
  if (!dir && oom) {
    const auto& first = oom->victims.front();
    dir = path_of(first.oom_memcg_id ? first.oom_memcg_id : first.victim_memcg_id);
  }
  if (!dir) dir = cgroups_.controller().mount;
  auto id = CgroupFs::id(*dir);
  report.cgroup.ref.path = cgroups_.relative(*dir);
  report.cgroup.ref.container = container_of_cgroup(report.cgroup.ref.path);
  report.cgroup.ref.id = id ? *id : 0;
  auto usage = cgroups_.usage(*dir);
  auto limit = cgroups_.limit(*dir);
  // memory.stat and the charges it is moved back by, read back to back: the victims' exit
  // may still be freeing pages, and anything freed between the two reads would count twice.
  auto stat = cgroups_.stat(*dir);
  // One snapshot of the maps serves the attribution, the stat at the kill and the counters.
  MapSnapshot maps = tracer_->snapshot();
  const Tracked* tracked = nullptr;
  if (id)
    if (auto it = tracked_.find(*id); it != tracked_.end()) tracked = &it->second;
  if (usage && stat) {
    report.cgroup.ref.usage_bytes = *usage;
    report.cgroup.stat = *stat;
  } else if (tracked && tracked->timeline.latest()) {
    report.cgroup.stat_live = false;
    report.cgroup.ref.usage_bytes = tracked->timeline.latest()->usage_bytes;
    report.cgroup.stat = tracked->timeline.latest()->stat;
  }
  if (limit) report.cgroup.ref.limit_bytes = *limit;
  if (auto kills = cgroups_.oom_kills(*dir)) report.cgroup.oom_kills = *kills;
  const auto page_size = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
  if (report.oom && report.oom->memcg.id == report.cgroup.ref.id && report.oom->memcg.usage_bytes)
    report.cgroup.ref.usage_bytes = std::max(report.cgroup.ref.usage_bytes, report.oom->memcg.usage_bytes);

  // The charges to move memory.stat back to the kill by: only for the cgroup whose limit was hit.
  std::optional<oomtrace_memcg_totals> at_kill, at_read;
  if (oom && oom->victims.front().has_domain_pages && report.cgroup.stat_live &&
      oom->victims.front().oom_memcg_id == report.cgroup.ref.id) {
    at_kill.emplace();
    std::memcpy(at_kill->pages, oom->victims.front().domain_pages, sizeof(at_kill->pages));
    at_read = sum_charges(maps.charges, report.cgroup.ref.id).value_or(*at_kill);
  }

  // Attribution over the cgroup and everything below it.
  AttributionInput input;
  const auto counters = tracer_->counters(maps);
  input.files = std::move(maps.files);
  input.charges = std::move(maps.charges);
  input.page_size = page_size;
  if (id) input.memcg_ids.insert(*id);
  for (const auto& [tracked_id, t] : tracked_) {
    auto rel = t.dir.lexically_relative(*dir);
    if (!rel.empty() && *rel.begin() != "..") input.memcg_ids.insert(tracked_id);
  }
  input.name_of = [this](std::uint32_t dev, std::uint64_t ino) {
    auto it = names_.find({dev, ino});
    return it != names_.end() ? it->second : anonymous_name(dev, ino);
  };
  input.comms = tracer_->task_comms();
  input.is_alive = [](std::uint32_t pid) { return process_alive(static_cast<pid_t>(pid)); };
  input.victim_anon_bytes = victim_anon;
  if (oom) input.at_kill_epoch = oom->victims.front().removal_epoch;
  Attribution attribution = attribute(input);
  if (at_kill) {
    report.cgroup.stat = stat_at_kill(report.cgroup.stat, *at_kill, *at_read, attribution, page_size);
    report.cgroup.stat_at_kill = true;
  }
  if (oom) tracer_->end_removal_epoch(oom->victims.front().removal_epoch);
  report.files = std::move(attribution.files);
  report.processes = std::move(attribution.processes);
  report.untracked = untracked_memory(report.cgroup.stat, attribution);

  if (tracked) report.timeline = tracked->timeline.relative_to(kill_time);
  report.timeline.push_back({0, report.cgroup.ref.usage_bytes, report.cgroup.stat.anon_bytes,
                             report.cgroup.stat.file_bytes, report.cgroup.stat.shmem_bytes});

  report.tracing.since = iso_time(since_);
  report.tracing.lost_events = counters.ringbuf_drops;
  report.tracing.file_evictions = counters.file_evictions();
  report.tracing.charge_evictions = counters.charge_evictions();
  report.tracing.insert_failures = counters.file_insert_fails + counters.charge_insert_fails;
  report.tracing.programs = tracer_->attached();
  report.diagnosis = diagnose(report);

  // oomtrace-20261203T102013.123Z-1234.json: the time of the kill, then the first victim.
  const std::string base = fmt::format(
      "oomtrace-{}-{}", compact_time(kill_time),
      oom ? std::to_string(oom->victims.front().victim_tgid) : std::string("exit"));
  const auto path_for = [&](const std::string& stem, Format format) {
    return options_.report_dir / fmt::format("{}.{}", stem, format_extension(format));
  };
  std::string stem = base;
  for (int n = 2; std::ranges::any_of(options_.formats, [&](Format f) {
         return fs::exists(path_for(stem, f));
       });
       ++n)
    stem = fmt::format("{}-{}", base, n);
  for (Format format : options_.formats) {
    const fs::path path = path_for(stem, format);
    if (auto written = write_atomically(path, render(report, format)); !written) return written;
    std::fprintf(stderr, "report: %s\n", path.c_str());
    report_paths_.push_back(path);
  }
  if (oom) {
    const auto latency = WallClock::now() - kill_time;
    spdlog::debug("report written {} ms after the kill",
                  std::chrono::duration_cast<std::chrono::milliseconds>(latency).count());
  }
  ++reports_written_;
  return {};
}

}  // namespace oomtrace
