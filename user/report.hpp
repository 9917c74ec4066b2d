// The report model: what a post-mortem says, independent of how it is rendered. Filled from
// the kernel (victim events, map snapshots) and cgroupfs; read back from JSON by `report`.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "cgroup.hpp"
#include "container.hpp"

namespace oomtrace {

inline constexpr const char* kReportSchema = "oomtrace.report/v1";

struct Victim {
  std::uint32_t pid = 0;
  std::string comm;
  std::string memcg_path;
  std::uint64_t anon_rss_bytes = 0, file_rss_bytes = 0, shmem_rss_bytes = 0;
  std::int32_t oom_score_adj = 0;
};

struct CgroupRef {
  std::string path;
  std::uint64_t id = 0;
  std::optional<std::uint64_t> limit_bytes;  // none: unlimited
  std::uint64_t usage_bytes = 0;
  ContainerInfo container = {};  // from the path, where it names one
};

struct OomInfo {
  std::string constraint;  // "memcg" | "global"
  std::string domain_method;  // how the memcg was found
  CgroupRef memcg;
  std::uint32_t trigger_pid = 0;
  std::string trigger_comm;
  std::vector<Victim> victims;
};

struct CgroupInfo {
  CgroupRef ref;
  MemoryStat stat;
  bool stat_live = true;  // false: the cgroup was gone, stat comes from the last sample
  bool stat_at_kill = false;  // memory.stat moved back to the kill by the kernel's counters
  std::optional<std::uint64_t> oom_kills;  // the kernel's own count (memory.events / oom_control)
};

struct Charger {
  std::uint32_t pid = 0;
  std::string comm;
  std::uint64_t bytes = 0;
};

struct FileEntry {
  std::string name;
  std::string dev;  // "MAJ:MIN"
  std::uint64_t ino = 0;
  std::string kind;  // "file" | "shmem"
  std::uint64_t resident_bytes = 0;
  std::vector<Charger> chargers;
};

struct ProcessEntry {
  std::uint32_t pid = 0;
  std::string comm;
  std::uint64_t anon_bytes = 0, file_bytes = 0, shmem_bytes = 0;
  bool exited = false;
};

struct TimelineSample {
  std::int64_t t_offset_ms = 0;  // <= 0, relative to the report's time
  std::uint64_t usage_bytes = 0, anon_bytes = 0, file_bytes = 0, shmem_bytes = 0;
};

struct Untracked {
  // Charged to the cgroup but not seen by the tracer (resident before tracing started).
  std::uint64_t file_bytes = 0, shmem_bytes = 0;
};

struct TracingInfo {
  std::string since;  // ISO-8601 UTC
  std::uint64_t lost_events = 0;
  std::uint64_t file_evictions = 0, charge_evictions = 0, insert_failures = 0;
  std::vector<std::string> programs;
};

struct Report {
  std::string reason;  // "oom_kill" | "exit"
  std::string time;    // ISO-8601 UTC
  std::string kernel;
  std::string tier;
  int cgroup_version = 2;
  std::uint64_t swap_total_bytes = 0;  // anon is reclaimable only with swap
  std::optional<OomInfo> oom;
  CgroupInfo cgroup;
  std::vector<FileEntry> files;
  std::vector<ProcessEntry> processes;
  std::vector<TimelineSample> timeline;
  Untracked untracked;
  TracingInfo tracing;
  std::vector<std::string> diagnosis;  // plain sentences, filled by diagnose()
};

// The plain-words explanation: the gap between the victims' RSS and the cgroup's usage,
// what made up the rest, what was reclaimable, and the page cache the timeline saw before.
std::vector<std::string> diagnose(const Report& report);

}  // namespace oomtrace
