#include <algorithm>
#include <sstream>

#include "render.hpp"
#include "size.hpp"

namespace oomtrace {
namespace {

constexpr std::size_t kTopFiles = 10;
constexpr std::size_t kTopProcesses = 10;

std::string percent(std::uint64_t part, std::uint64_t whole) {
  if (whole == 0) return "   -";
  return fmt::format("{:3.0f}%", 100.0 * static_cast<double>(part) / static_cast<double>(whole));
}

// "container 0123456789ab (containerd), pod 1234-..." where the path names one.
std::string owner_text(const ContainerInfo& c) {
  std::string text;
  if (!c.container_id.empty())
    text += fmt::format("container {}{}", c.container_id.substr(0, 12),
                        c.runtime.empty() ? "" : fmt::format(" ({})", c.runtime));
  if (!c.pod_uid.empty()) text += fmt::format("{}pod {} ({})", text.empty() ? "" : ", ", c.pod_uid, c.qos_class);
  if (text.empty() && !c.systemd_unit.empty()) text = fmt::format("unit {}", c.systemd_unit);
  return text.empty() ? text : " [" + text + "]";
}

std::string limit_text(const CgroupRef& ref) {
  if (!ref.limit_bytes) return fmt::format("no limit, usage {}", format_bytes(ref.usage_bytes));
  return fmt::format("limit {}, usage {} = {}", format_bytes(*ref.limit_bytes),
                     format_bytes(ref.usage_bytes), percent(ref.usage_bytes, *ref.limit_bytes));
}

}  // namespace

Result<std::vector<Format>> parse_formats(std::string_view list) {
  std::vector<Format> formats;
  std::size_t start = 0;
  while (start <= list.size()) {
    auto end = list.find(',', start);
    if (end == std::string_view::npos) end = list.size();
    auto item = list.substr(start, end - start);
    if (item == "text") formats.push_back(Format::text);
    else if (item == "json") formats.push_back(Format::json);
    else if (item == "html") formats.push_back(Format::html);
    else
      return fail(ExitCode::usage, "invalid --format '{}': use a comma list of text, json, html",
                  list);
    start = end + 1;
  }
  return formats;
}

std::string_view format_extension(Format format) {
  switch (format) {
    case Format::text: return "txt";
    case Format::json: return "json";
    case Format::html: return "html";
  }
  return "txt";
}

std::string render(const Report& report, Format format) {
  switch (format) {
    case Format::text: return render_text(report);
    case Format::json: return render_json(report);
    case Format::html: return render_html(report);
  }
  return render_text(report);
}

std::string render_text(const Report& report) {
  std::ostringstream out;
  const auto& cg = report.cgroup;
  const std::uint64_t usage = cg.ref.usage_bytes;

  if (report.oom) {
    const OomInfo& oom = *report.oom;
    out << fmt::format("OOM kill at {} ({} OOM)\n", report.time, oom.constraint);
    for (const Victim& v : oom.victims)
      out << fmt::format("Killed: pid {} ({}) in {}: anon {}, file {}, shmem {}, oom_score_adj {}\n",
                         v.pid, v.comm, v.memcg_path, format_bytes(v.anon_rss_bytes),
                         format_bytes(v.file_rss_bytes), format_bytes(v.shmem_rss_bytes),
                         v.oom_score_adj);
    if (oom.constraint == "memcg")
      out << fmt::format("Limit hit: {}{} ({})\n", oom.memcg.path, owner_text(oom.memcg.container),
                         limit_text(oom.memcg));
    else
      out << "Limit hit: none of the cgroups' limits; the host ran out of memory\n";
    out << fmt::format("Triggered by: pid {} ({})\n", oom.trigger_pid, oom.trigger_comm);
  } else {
    out << fmt::format("Exit report at {}\n", report.time);
  }

  out << fmt::format("\nWhat filled {} ({}{})\n", cg.ref.path, limit_text(cg.ref),
                     cg.stat_live ? "" : "; the cgroup was gone, figures from the last sample");
  const auto& s = cg.stat;
  const std::uint64_t page_cache = s.file_bytes > s.shmem_bytes ? s.file_bytes - s.shmem_bytes : 0;
  for (auto [label, bytes] : {std::pair{"anon", s.anon_bytes}, std::pair{"shmem", s.shmem_bytes},
                              std::pair{"page cache", page_cache},
                              std::pair{"  dirty", s.file_dirty_bytes},
                              std::pair{"  writeback", s.file_writeback_bytes},
                              std::pair{"kernel", s.kernel_bytes}})
    out << fmt::format("  {:<12} {:>10}  {}\n", label, format_bytes(bytes), percent(bytes, usage));

  out << "\nDiagnosis\n";
  for (const auto& line : report.diagnosis.empty() ? diagnose(report) : report.diagnosis)
    out << "  - " << line << "\n";

  out << "\nTop files and shmem objects\n";
  if (report.files.empty()) out << "  (none traced)\n";
  for (std::size_t i = 0; i < std::min(kTopFiles, report.files.size()); ++i) {
    const FileEntry& f = report.files[i];
    std::string chargers;
    for (const Charger& c : f.chargers)
      chargers += fmt::format("{}pid {} ({}) {}", chargers.empty() ? "" : ", ", c.pid, c.comm,
                              format_bytes(c.bytes));
    out << fmt::format("  {:>10} {} {:<5} {}  [{}]\n", format_bytes(f.resident_bytes),
                       percent(f.resident_bytes, usage), f.kind, f.name,
                       chargers.empty() ? "untracked" : chargers);
  }
  if (report.files.size() > kTopFiles)
    out << fmt::format("  ... and {} more\n", report.files.size() - kTopFiles);

  out << "\nTop processes (what each charged)\n";
  if (report.processes.empty()) out << "  (none traced)\n";
  else out << fmt::format("  {:>8} {:<16} {:>10} {:>10} {:>10}\n", "pid", "comm", "anon", "file", "shmem");
  for (std::size_t i = 0; i < std::min(kTopProcesses, report.processes.size()); ++i) {
    const ProcessEntry& p = report.processes[i];
    out << fmt::format("  {:>8} {:<16} {:>10} {:>10} {:>10}{}\n", p.pid, p.comm,
                       format_bytes(p.anon_bytes), format_bytes(p.file_bytes),
                       format_bytes(p.shmem_bytes), p.exited ? "  (exited)" : "");
  }
  if (report.untracked.file_bytes + report.untracked.shmem_bytes > 0)
    out << fmt::format("  untracked (resident before tracing): file {}, shmem {}\n",
                       format_bytes(report.untracked.file_bytes),
                       format_bytes(report.untracked.shmem_bytes));

  out << "\nTimeline (usage, anon, page cache incl. shmem, shmem)\n";
  if (report.timeline.empty()) out << "  (no samples)\n";
  for (const TimelineSample& t : report.timeline)
    out << fmt::format("  {:>7.1f}s {:>10} {:>10} {:>10} {:>10}\n",
                       static_cast<double>(t.t_offset_ms) / 1000.0, format_bytes(t.usage_bytes),
                       format_bytes(t.anon_bytes), format_bytes(t.file_bytes),
                       format_bytes(t.shmem_bytes));

  out << fmt::format(
      "\nTracing since {} on {} ({} tier, cgroup v{}): {} events lost, {} file and {} process "
      "entries evicted\n",
      report.tracing.since, report.kernel, report.tier, report.cgroup_version,
      report.tracing.lost_events, report.tracing.file_evictions, report.tracing.charge_evictions);
  return out.str();
}

std::string render_html(const Report& report) {
  std::string escaped;
  for (char c : render_text(report)) {
    switch (c) {
      case '<': escaped += "&lt;"; break;
      case '>': escaped += "&gt;"; break;
      case '&': escaped += "&amp;"; break;
      default: escaped += c;
    }
  }
  return fmt::format(
      "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>oomtrace report {}</title>"
      "</head>\n<body><pre>\n{}</pre></body></html>\n",
      report.time, escaped);
}

}  // namespace oomtrace
