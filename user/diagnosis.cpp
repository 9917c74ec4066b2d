#include <algorithm>

#include "report.hpp"
#include "size.hpp"

namespace oomtrace {
namespace {

std::string share(std::uint64_t part, std::uint64_t whole) {
  if (whole == 0) return "";
  return fmt::format(" ({:.0f}%)", 100.0 * static_cast<double>(part) / static_cast<double>(whole));
}

}  // namespace

std::vector<std::string> diagnose(const Report& report) {
  std::vector<std::string> lines;
  const MemoryStat& stat = report.cgroup.stat;
  const std::uint64_t usage = report.cgroup.ref.usage_bytes;

  const std::uint64_t dirty = stat.file_dirty_bytes + stat.file_writeback_bytes;
  // memory.stat's "file" counts shmem too; page cache here means file-backed only.
  const std::uint64_t page_cache =
      stat.file_bytes > stat.shmem_bytes ? stat.file_bytes - stat.shmem_bytes : 0;
  const std::uint64_t clean = page_cache > dirty ? page_cache - dirty : 0;

  if (report.oom && !report.oom->victims.empty()) {
    std::uint64_t rss = 0;
    for (const Victim& v : report.oom->victims)
      rss += v.anon_rss_bytes + v.file_rss_bytes + v.shmem_rss_bytes;
    const std::uint64_t usage_at_kill =
        report.oom->memcg.usage_bytes ? report.oom->memcg.usage_bytes : usage;
    if (usage_at_kill > rss)
      lines.push_back(fmt::format(
          "The victims' RSS was {} but the cgroup was charged {}: {} were outside their RSS. "
          "The cgroup held anon {}, shmem {}, page cache {} (dirty and writeback {}) and kernel "
          "memory {}.",
          format_bytes(rss), format_bytes(usage_at_kill), format_bytes(usage_at_kill - rss),
          format_bytes(stat.anon_bytes), format_bytes(stat.shmem_bytes), format_bytes(page_cache),
          format_bytes(dirty), format_bytes(stat.kernel_bytes)));
    else
      lines.push_back(fmt::format("The victims' RSS ({}) accounts for the cgroup's usage ({}).",
                                  format_bytes(rss), format_bytes(usage_at_kill)));
  }

  const bool swap = report.swap_total_bytes > 0;
  std::uint64_t stuck = stat.shmem_bytes + dirty + stat.kernel_bytes + (swap ? 0 : stat.anon_bytes);
  lines.push_back(fmt::format(
      "{}: reclaimable clean page cache {}; not reclaimable {}{}: {}shmem {}, dirty and writeback "
      "{}, kernel {}.",
      report.oom ? "At the kill" : "At exit", format_bytes(clean), format_bytes(stuck),
      share(stuck, usage), swap ? "" : fmt::format("anon {} (no swap), ", format_bytes(stat.anon_bytes)),
      format_bytes(stat.shmem_bytes), format_bytes(dirty), format_bytes(stat.kernel_bytes)));

  if (!report.timeline.empty()) {
    auto peak = std::ranges::max_element(
        report.timeline, {}, [](const TimelineSample& s) { return s.file_bytes - std::min(s.file_bytes, s.shmem_bytes); });
    const std::uint64_t peak_cache = peak->file_bytes - std::min(peak->file_bytes, peak->shmem_bytes);
    if (peak_cache > page_cache + (1u << 20))
      lines.push_back(fmt::format(
          "{:.1f} s before, the cgroup held {} of page cache (not shmem); reclaim had brought it "
          "down to {} by the {}.",
          static_cast<double>(-peak->t_offset_ms) / 1000.0, format_bytes(peak_cache), format_bytes(page_cache),
          report.oom ? "kill" : "end"));
  }

  if (!report.files.empty()) {
    const FileEntry& top = report.files.front();
    std::string who = top.chargers.empty()
                          ? std::string("untracked")
                          : fmt::format("charged by pid {} ({})", top.chargers.front().pid,
                                        top.chargers.front().comm);
    lines.push_back(fmt::format("The largest resident object is {} {}, {}{}, {}.", top.kind,
                                top.name, format_bytes(top.resident_bytes),
                                share(top.resident_bytes, usage), who));
  }
  if (report.untracked.file_bytes + report.untracked.shmem_bytes > (1u << 20))
    lines.push_back(fmt::format(
        "{} of page cache and {} of shmem were resident before tracing started and are not "
        "attributed to any file or process.",
        format_bytes(report.untracked.file_bytes), format_bytes(report.untracked.shmem_bytes)));
  if (report.tracing.lost_events + report.tracing.file_evictions + report.tracing.charge_evictions)
    lines.push_back(fmt::format(
        "Tracing was incomplete: {} events lost, {} file and {} process entries evicted "
        "(raise --max-files / --max-processes).",
        report.tracing.lost_events, report.tracing.file_evictions, report.tracing.charge_evictions));
  return lines;
}

}  // namespace oomtrace
