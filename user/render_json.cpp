#include <nlohmann/json.hpp>

#include "render.hpp"

namespace oomtrace {
namespace {

using nlohmann::json;

json limit_json(const std::optional<std::uint64_t>& limit) {
  return limit ? json(*limit) : json(nullptr);
}

json cgroup_ref_json(const CgroupRef& ref) {
  json out = {{"path", ref.path},
              {"id", ref.id},
              {"limit_bytes", limit_json(ref.limit_bytes)},
              {"usage_bytes", ref.usage_bytes}};
  const ContainerInfo& c = ref.container;
  if (!c.empty())
    out["container"] = {{"runtime", c.runtime},     {"id", c.container_id}, {"pod_uid", c.pod_uid},
                        {"qos_class", c.qos_class}, {"systemd_unit", c.systemd_unit}};
  return out;
}

json stat_json(const MemoryStat& stat) {
  json out = json::object();
  for (const auto& [key, value] : stat.other) out[key] = value;
  out["anon_bytes"] = stat.anon_bytes;
  out["file_bytes"] = stat.file_bytes;
  out["shmem_bytes"] = stat.shmem_bytes;
  out["file_dirty_bytes"] = stat.file_dirty_bytes;
  out["file_writeback_bytes"] = stat.file_writeback_bytes;
  out["kernel_bytes"] = stat.kernel_bytes;
  return out;
}

void read_ref(const json& in, CgroupRef& ref) {
  ref.path = in.at("path").get<std::string>();
  ref.id = in.at("id").get<std::uint64_t>();
  const auto& limit = in.at("limit_bytes");
  if (!limit.is_null()) ref.limit_bytes = limit.get<std::uint64_t>();
  ref.usage_bytes = in.at("usage_bytes").get<std::uint64_t>();
  ref.container = container_of_cgroup(ref.path);
}

void read_stat(const json& in, MemoryStat& stat) {
  stat.anon_bytes = in.at("anon_bytes").get<std::uint64_t>();
  stat.file_bytes = in.at("file_bytes").get<std::uint64_t>();
  stat.shmem_bytes = in.at("shmem_bytes").get<std::uint64_t>();
  stat.file_dirty_bytes = in.at("file_dirty_bytes").get<std::uint64_t>();
  stat.file_writeback_bytes = in.at("file_writeback_bytes").get<std::uint64_t>();
  stat.kernel_bytes = in.at("kernel_bytes").get<std::uint64_t>();
  for (const auto& [key, value] : in.items())
    if (!key.ends_with("_bytes") && value.is_number_unsigned())
      stat.other.emplace(key, value.get<std::uint64_t>());
}

}  // namespace

std::string render_json(const Report& report) {
  json out;
  out["schema"] = kReportSchema;
  out["reason"] = report.reason;
  out["time"] = report.time;
  out["host"] = {{"kernel", report.kernel},
                 {"tier", report.tier},
                 {"cgroup_version", report.cgroup_version},
                 {"swap_total_bytes", report.swap_total_bytes}};
  if (report.oom) {
    const OomInfo& oom = *report.oom;
    json victims = json::array();
    for (const Victim& v : oom.victims)
      victims.push_back({{"pid", v.pid},
                         {"comm", v.comm},
                         {"memcg_path", v.memcg_path},
                         {"anon_rss_bytes", v.anon_rss_bytes},
                         {"file_rss_bytes", v.file_rss_bytes},
                         {"shmem_rss_bytes", v.shmem_rss_bytes},
                         {"oom_score_adj", v.oom_score_adj}});
    out["oom"] = {{"constraint", oom.constraint},
                  {"domain_method", oom.domain_method},
                  {"memcg", cgroup_ref_json(oom.memcg)},
                  {"trigger", {{"pid", oom.trigger_pid}, {"comm", oom.trigger_comm}}},
                  {"victims", victims}};
  }
  json cgroup = cgroup_ref_json(report.cgroup.ref);
  cgroup["stat"] = stat_json(report.cgroup.stat);
  cgroup["stat_live"] = report.cgroup.stat_live;
  cgroup["stat_at_kill"] = report.cgroup.stat_at_kill;
  if (report.cgroup.oom_kills) cgroup["oom_kills"] = *report.cgroup.oom_kills;
  out["cgroup"] = cgroup;

  json files = json::array();
  for (const FileEntry& f : report.files) {
    json chargers = json::array();
    for (const Charger& c : f.chargers)
      chargers.push_back({{"pid", c.pid}, {"comm", c.comm}, {"bytes", c.bytes}});
    files.push_back({{"name", f.name},
                     {"dev", f.dev},
                     {"ino", f.ino},
                     {"kind", f.kind},
                     {"resident_bytes", f.resident_bytes},
                     {"chargers", chargers}});
  }
  out["files"] = files;
  json processes = json::array();
  for (const ProcessEntry& p : report.processes)
    processes.push_back({{"pid", p.pid},
                         {"comm", p.comm},
                         {"anon_bytes", p.anon_bytes},
                         {"file_bytes", p.file_bytes},
                         {"shmem_bytes", p.shmem_bytes},
                         {"exited", p.exited}});
  out["processes"] = processes;
  out["untracked"] = {{"file_bytes", report.untracked.file_bytes},
                      {"shmem_bytes", report.untracked.shmem_bytes}};
  json timeline = json::array();
  for (const TimelineSample& s : report.timeline)
    timeline.push_back({{"t_offset_ms", s.t_offset_ms},
                        {"usage_bytes", s.usage_bytes},
                        {"anon_bytes", s.anon_bytes},
                        {"file_bytes", s.file_bytes},
                        {"shmem_bytes", s.shmem_bytes}});
  out["timeline"] = timeline;
  out["tracing"] = {{"since", report.tracing.since},
                    {"lost_events", report.tracing.lost_events},
                    {"file_evictions", report.tracing.file_evictions},
                    {"charge_evictions", report.tracing.charge_evictions},
                    {"insert_failures", report.tracing.insert_failures},
                    {"programs", report.tracing.programs}};
  out["diagnosis"] = report.diagnosis;
  return out.dump(2) + "\n";
}

Result<Report> parse_report_json(std::string_view text) {
  json in = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (in.is_discarded())
    return fail(ExitCode::bad_input,
                "not valid JSON (truncated or corrupt?): give a report written by oomtrace");
  try {
    if (in.value("schema", "") != kReportSchema)
      return fail(ExitCode::bad_input, "not an {} report: its schema is '{}'", kReportSchema,
                  in.value("schema", ""));
    Report report;
    report.reason = in.at("reason").get<std::string>();
    report.time = in.at("time").get<std::string>();
    const auto& host = in.at("host");
    report.kernel = host.at("kernel").get<std::string>();
    report.tier = host.at("tier").get<std::string>();
    report.cgroup_version = host.at("cgroup_version").get<int>();
    report.swap_total_bytes = host.value("swap_total_bytes", std::uint64_t{0});
    if (in.contains("oom") && !in.at("oom").is_null()) {
      const auto& o = in.at("oom");
      OomInfo oom;
      oom.constraint = o.at("constraint").get<std::string>();
      oom.domain_method = o.value("domain_method", "");
      read_ref(o.at("memcg"), oom.memcg);
      oom.trigger_pid = o.at("trigger").at("pid").get<std::uint32_t>();
      oom.trigger_comm = o.at("trigger").at("comm").get<std::string>();
      for (const auto& v : o.at("victims"))
        oom.victims.push_back({v.at("pid").get<std::uint32_t>(), v.at("comm").get<std::string>(),
                               v.at("memcg_path").get<std::string>(),
                               v.at("anon_rss_bytes").get<std::uint64_t>(),
                               v.at("file_rss_bytes").get<std::uint64_t>(),
                               v.at("shmem_rss_bytes").get<std::uint64_t>(),
                               v.at("oom_score_adj").get<std::int32_t>()});
      report.oom = oom;
    }
    const auto& cgroup = in.at("cgroup");
    read_ref(cgroup, report.cgroup.ref);
    read_stat(cgroup.at("stat"), report.cgroup.stat);
    report.cgroup.stat_live = cgroup.value("stat_live", true);
    report.cgroup.stat_at_kill = cgroup.value("stat_at_kill", false);
    if (cgroup.contains("oom_kills")) report.cgroup.oom_kills = cgroup.at("oom_kills").get<std::uint64_t>();
    for (const auto& f : in.at("files")) {
      FileEntry entry{f.at("name").get<std::string>(), f.at("dev").get<std::string>(),
                      f.at("ino").get<std::uint64_t>(), f.at("kind").get<std::string>(),
                      f.at("resident_bytes").get<std::uint64_t>(), {}};
      for (const auto& c : f.at("chargers"))
        entry.chargers.push_back({c.at("pid").get<std::uint32_t>(),
                                  c.at("comm").get<std::string>(),
                                  c.at("bytes").get<std::uint64_t>()});
      report.files.push_back(std::move(entry));
    }
    for (const auto& p : in.at("processes"))
      report.processes.push_back({p.at("pid").get<std::uint32_t>(), p.at("comm").get<std::string>(),
                                  p.at("anon_bytes").get<std::uint64_t>(),
                                  p.at("file_bytes").get<std::uint64_t>(),
                                  p.at("shmem_bytes").get<std::uint64_t>(),
                                  p.value("exited", false)});
    if (in.contains("untracked")) {
      report.untracked.file_bytes = in["untracked"].value("file_bytes", std::uint64_t{0});
      report.untracked.shmem_bytes = in["untracked"].value("shmem_bytes", std::uint64_t{0});
    }
    for (const auto& s : in.at("timeline"))
      report.timeline.push_back({s.at("t_offset_ms").get<std::int64_t>(),
                                 s.at("usage_bytes").get<std::uint64_t>(),
                                 s.at("anon_bytes").get<std::uint64_t>(),
                                 s.at("file_bytes").get<std::uint64_t>(),
                                 s.at("shmem_bytes").get<std::uint64_t>()});
    const auto& tracing = in.at("tracing");
    report.tracing.since = tracing.at("since").get<std::string>();
    report.tracing.lost_events = tracing.at("lost_events").get<std::uint64_t>();
    report.tracing.file_evictions = tracing.value("file_evictions", std::uint64_t{0});
    report.tracing.charge_evictions = tracing.value("charge_evictions", std::uint64_t{0});
    report.tracing.insert_failures = tracing.value("insert_failures", std::uint64_t{0});
    report.tracing.programs = tracing.value("programs", std::vector<std::string>{});
    report.diagnosis = in.value("diagnosis", std::vector<std::string>{});
    return report;
  } catch (const json::exception& error) {
    return fail(ExitCode::bad_input, "incomplete oomtrace report: {}", error.what());
  }
}

}  // namespace oomtrace
