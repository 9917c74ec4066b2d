// The loader: opens the skeleton, configures it for the chosen programs and cgroups, loads,
// attaches one program at a time, drains the ring buffer and snapshots the kernel maps.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "abi.hpp"
#include "error.hpp"
#include "pending.hpp"

struct oomtrace_bpf;  // the generated skeleton

namespace oomtrace {

struct TierChoice;

struct TracerOptions {
  std::vector<std::uint64_t> cgroup_roots;  // trace these subtrees; empty: every cgroup
  std::uint32_t ringbuf_bytes = 1u << 20;
  std::uint32_t max_files = 65536;
  std::uint32_t max_charges = 16384;
};

// Receives ring-buffer events, copied out of the ring.
class EventSink {
 public:
  virtual ~EventSink() = default;
  virtual void on_victim(const oomtrace_victim_event& event) = 0;
  virtual void on_name(const oomtrace_name_event& event) = 0;
};

struct TracerCounters {
  std::uint64_t ringbuf_drops = 0;
  std::uint64_t file_inserts = 0, file_insert_fails = 0, file_entries = 0;
  std::uint64_t charge_inserts = 0, charge_insert_fails = 0, charge_entries = 0;
  // LRU maps drop their oldest entries when full: created minus still there.
  std::uint64_t file_evictions() const {
    return file_inserts > file_entries ? file_inserts - file_entries : 0;
  }
  std::uint64_t charge_evictions() const {
    return charge_inserts > charge_entries ? charge_inserts - charge_entries : 0;
  }
};

// The shared maps, with what the CPUs still hold pending merged in, read once.
struct MapSnapshot {
  std::vector<FileRecord> files;
  std::vector<ChargeRecord> charges;
  // Entries in the maps themselves, before the merge: a pending key whose entry the map evicted
  // comes back as a record, but is not live.
  std::size_t file_entries = 0, charge_entries = 0;
};

struct MapMemory {
  std::string name;
  std::uint64_t bytes = 0;  // memlock of the map, from fdinfo
};

class Tracer {
 public:
  [[nodiscard]] static Result<std::unique_ptr<Tracer>> start(const TierChoice& choice,
                                                             const TracerOptions& options,
                                                             EventSink& sink);
  ~Tracer();
  Tracer(const Tracer&) = delete;
  Tracer& operator=(const Tracer&) = delete;

  // Waits up to timeout_ms for a wakeup, then delivers every event in the ring to the sink.
  [[nodiscard]] Result<void> poll(int timeout_ms);
  // Seeds the OOM baseline of a cgroup created while tracing (its count is 0).
  void seed_oom_baseline(std::uint64_t cgroup_id);
  // The maps were read for the kill of `epoch`: removals count as removals again.
  void end_removal_epoch(std::uint32_t epoch);

  // The charges map, then the files map, then the per-CPU slots: a page in flight between the
  // map and its slot may be missed, never counted twice (charges__flush).
  MapSnapshot snapshot() const;
  std::map<std::uint32_t, std::string> task_comms() const;
  TracerCounters counters() const { return counters(snapshot()); }
  // The counters, with the live entries of a snapshot already taken (no second map walk).
  TracerCounters counters(const MapSnapshot& maps) const;
  std::vector<MapMemory> map_memory() const;
  const std::vector<std::string>& attached() const { return attached_; }

 private:
  std::vector<oomtrace_hot> hot_slots() const;
  struct State;
  explicit Tracer(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
  std::vector<std::string> attached_;
};

// Loads and attaches one tracer program alone (doctor's hook probe).
[[nodiscard]] Result<void> probe_tracer_program(const std::string& program);

}  // namespace oomtrace
