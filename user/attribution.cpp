#include "attribution.hpp"

#include <algorithm>
#include <tuple>

#include "names.hpp"

namespace oomtrace {
namespace {

struct FileTotals {
  std::int64_t pages = 0;  // adds minus removals, every charger
  std::uint32_t kind = OOMTRACE_OBJECT_FILE;
  std::map<std::uint32_t, std::int64_t> added;  // per charging tgid
};

}  // namespace

Attribution attribute(const AttributionInput& input) {
  const auto comm_of = [&](std::uint32_t tgid) {
    auto it = input.comms.find(tgid);
    return it != input.comms.end() ? it->second : std::string("?");
  };
  std::map<std::pair<std::uint32_t, std::uint64_t>, FileTotals> by_file;
  const auto removed_after_kill = [&](std::uint32_t tgid) {
    return input.at_kill_epoch && (tgid & OOMTRACE_REMOVED_AFTER_KILL) &&
           (tgid & ~OOMTRACE_REMOVED_AFTER_KILL) >= *input.at_kill_epoch;
  };
  const auto is_process = [](std::uint32_t tgid) {
    return tgid != 0 && !(tgid & OOMTRACE_REMOVED_AFTER_KILL);
  };
  Attribution result;
  for (const FileRecord& record : input.files) {
    if (!input.memcg_ids.contains(record.key.memcg_id)) continue;
    if (removed_after_kill(record.key.tgid)) {
      const auto bytes = static_cast<std::uint64_t>(std::max<std::int64_t>(-record.value.pages, 0)) * input.page_size;
      (record.value.kind == OOMTRACE_OBJECT_SHMEM ? result.removed_shmem_bytes : result.removed_file_bytes) += bytes;
      continue;
    }
    auto& totals = by_file[{record.key.dev, record.key.ino}];
    totals.pages += record.value.pages;
    totals.kind = record.value.kind;
    if (is_process(record.key.tgid) && record.value.pages > 0) totals.added[record.key.tgid] += record.value.pages;
  }

  std::map<std::uint32_t, ProcessEntry> processes;
  for (const auto& [id, totals] : by_file) {
    if (totals.pages <= 0) continue;
    const auto resident = static_cast<std::uint64_t>(totals.pages) * input.page_size;
    const bool shmem = totals.kind == OOMTRACE_OBJECT_SHMEM;
    FileEntry entry;
    entry.name = input.name_of ? input.name_of(id.first, id.second)
                               : anonymous_name(id.first, id.second);
    entry.dev = dev_string(id.first);
    entry.ino = id.second;
    entry.kind = shmem ? "shmem" : "file";
    entry.resident_bytes = resident;

    // What is still resident is split between the chargers in proportion to what each
    // brought in: removals (reclaim, truncate) run in other tasks and name no charger.
    std::int64_t added_total = 0;
    for (const auto& [tgid, pages] : totals.added) added_total += pages;
    for (const auto& [tgid, pages] : totals.added) {
      const auto bytes = static_cast<std::uint64_t>(
          static_cast<long double>(resident) * static_cast<long double>(pages) /
          static_cast<long double>(added_total));
      const std::string comm = comm_of(tgid);
      entry.chargers.push_back({tgid, comm, bytes});
      auto& process = processes[tgid];
      process.pid = tgid;
      process.comm = comm;
      (shmem ? process.shmem_bytes : process.file_bytes) += bytes;
    }
    std::ranges::sort(entry.chargers, std::greater{}, &Charger::bytes);
    (shmem ? result.tracked_shmem_bytes : result.tracked_file_bytes) += resident;
    result.files.push_back(std::move(entry));
  }

  for (const ChargeRecord& record : input.charges) {
    if (!is_process(record.key.tgid) || !input.memcg_ids.contains(record.key.memcg_id)) continue;
    const std::int64_t anon = record.value.pages[OOMTRACE_SLOT_ANON];
    auto& process = processes[record.key.tgid];
    process.pid = record.key.tgid;
    if (process.comm.empty()) process.comm = comm_of(record.key.tgid);
    if (anon > 0) process.anon_bytes += static_cast<std::uint64_t>(anon) * input.page_size;
  }
  for (const auto& [pid, anon] : input.victim_anon_bytes) {
    auto it = processes.find(pid);
    if (it != processes.end()) it->second.anon_bytes = std::max(it->second.anon_bytes, anon);
  }

  for (auto& [pid, process] : processes) {
    if (process.anon_bytes + process.file_bytes + process.shmem_bytes == 0) continue;
    process.exited = input.is_alive ? !input.is_alive(pid) : false;
    result.processes.push_back(process);
  }
  const auto total = [](const ProcessEntry& p) { return p.anon_bytes + p.file_bytes + p.shmem_bytes; };
  std::ranges::sort(result.processes, std::greater{}, total);
  std::ranges::sort(result.files, [](const FileEntry& a, const FileEntry& b) {
    return std::tie(b.resident_bytes, a.name) < std::tie(a.resident_bytes, b.name);
  });
  return result;
}

std::optional<oomtrace_memcg_totals> sum_charges(const std::vector<ChargeRecord>& charges,
                                                 std::uint64_t memcg_id) {
  oomtrace_memcg_totals totals{};
  bool found = false;
  for (const ChargeRecord& record : charges) {
    if (record.key.memcg_id != memcg_id) continue;
    found = true;
    for (int slot = 0; slot < OOMTRACE_SLOT_COUNT; ++slot) totals.pages[slot] += record.value.pages[slot];
  }
  if (!found) return std::nullopt;
  return totals;
}

MemoryStat stat_at_kill(const MemoryStat& now, const oomtrace_memcg_totals& at_kill,
                        const oomtrace_memcg_totals& at_read, const Attribution& attribution,
                        std::uint64_t page_size) {
  MemoryStat stat = now;
  const auto shift = [](std::uint64_t& bytes, std::int64_t delta) {
    const std::int64_t moved = static_cast<std::int64_t>(bytes) + delta;
    bytes = moved > 0 ? static_cast<std::uint64_t>(moved) : 0;
  };
  const auto charged = [&](int slot) {
    return (at_kill.pages[slot] - at_read.pages[slot]) * static_cast<std::int64_t>(page_size);
  };
  const auto removed_shmem = static_cast<std::int64_t>(attribution.removed_shmem_bytes);
  shift(stat.anon_bytes, charged(OOMTRACE_SLOT_ANON));
  shift(stat.kernel_bytes, charged(OOMTRACE_SLOT_KERNEL));
  // memory.stat's file includes shmem.
  shift(stat.file_bytes, static_cast<std::int64_t>(attribution.removed_file_bytes) + removed_shmem);
  shift(stat.shmem_bytes, removed_shmem);
  return stat;
}

Untracked untracked_memory(const MemoryStat& stat, const Attribution& attribution) {
  const std::uint64_t page_cache =
      stat.file_bytes > stat.shmem_bytes ? stat.file_bytes - stat.shmem_bytes : 0;
  Untracked untracked;
  untracked.file_bytes = page_cache > attribution.tracked_file_bytes
                             ? page_cache - attribution.tracked_file_bytes
                             : 0;
  untracked.shmem_bytes = stat.shmem_bytes > attribution.tracked_shmem_bytes
                              ? stat.shmem_bytes - attribution.tracked_shmem_bytes
                              : 0;
  return untracked;
}

}  // namespace oomtrace
