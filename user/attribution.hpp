// The aggregation model: from snapshots of the kernel's file and charge maps to the report's
// files and processes. Pure: tests feed it synthetic records.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "report.hpp"
#include "tracer.hpp"

namespace oomtrace {

struct AttributionInput {
  std::vector<FileRecord> files;
  std::vector<ChargeRecord> charges;
  std::set<std::uint64_t> memcg_ids;  // the report's cgroup and its descendants
  std::uint64_t page_size = 4096;
  std::function<std::string(std::uint32_t dev, std::uint64_t ino)> name_of;
  std::map<std::uint32_t, std::string> comms;  // by tgid
  std::function<bool(std::uint32_t pid)> is_alive;
  // Anon at the kill for victims: their own exit has already unmapped it by the time the
  // maps are read, so the kernel's RSS at mark_victim is the figure that held.
  std::map<std::uint32_t, std::uint64_t> victim_anon_bytes;
  // For an OOM report: leave out the removals booked after the kill of this epoch.
  std::optional<std::uint32_t> at_kill_epoch;
};

struct Attribution {
  std::vector<FileEntry> files;          // largest first, resident > 0
  std::vector<ProcessEntry> processes;   // largest first
  std::uint64_t tracked_file_bytes = 0;  // page cache attributed to files
  std::uint64_t tracked_shmem_bytes = 0;
  // Left the files after the kill (removals booked to the kill's epoch), in the report's cgroups.
  std::uint64_t removed_file_bytes = 0;
  std::uint64_t removed_shmem_bytes = 0;
};

Attribution attribute(const AttributionInput& input);

// A memcg's charge counters summed over its processes, as mark_victim sums them in the kernel;
// nullopt when the memcg has no entry.
std::optional<oomtrace_memcg_totals> sum_charges(const std::vector<ChargeRecord>& charges,
                                                 std::uint64_t memcg_id);

// memory.stat read `now`, moved back to the instant of the kill (the victims' exit frees their
// anon, memfds and SysV segments within microseconds of it): anon and kernel memory by the
// charge counters taken then and now, page cache and shmem by what left the files since.
// Dirty and writeback are left as read.
MemoryStat stat_at_kill(const MemoryStat& now, const oomtrace_memcg_totals& at_kill,
                        const oomtrace_memcg_totals& at_read, const Attribution& attribution,
                        std::uint64_t page_size);

// What the cgroup holds that the tracer did not see being charged.
Untracked untracked_memory(const MemoryStat& stat, const Attribution& attribution);

}  // namespace oomtrace
