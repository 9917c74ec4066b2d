#include "tracer.hpp"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstring>
#include <fstream>
#include <iterator>
#include <spdlog/spdlog.h>

#include "bpf_handles.hpp"
#include "features.hpp"
#include "log.hpp"
#include "oomtrace_bpf.skel.h"

namespace oomtrace {
namespace {

using TracerSkeleton = Skeleton<oomtrace_bpf>;

// Copies an event out of the ring: the ring's memory is reused once the callback returns.
template <typename Event>
bool copy_event(const void* data, std::size_t size, Event& event) {
  if (size < sizeof(Event)) return false;
  std::memcpy(&event, data, sizeof(Event));
  return true;
}

int on_ring_event(void* ctx, void* data, std::size_t size) noexcept {
  auto* sink = static_cast<EventSink*>(ctx);
  oomtrace_event_header header{};
  if (!copy_event(data, size, header)) return 0;
  try {
    if (header.type == OOMTRACE_EVENT_VICTIM) {
      oomtrace_victim_event event{};
      if (copy_event(data, size, event)) sink->on_victim(event);
    } else if (header.type == OOMTRACE_EVENT_FILE_NAME) {
      oomtrace_name_event event{};
      if (copy_event(data, size, event)) sink->on_name(event);
    }
  } catch (const std::exception& error) {
    spdlog::error("event handling failed: {}", error.what());
  }
  return 0;  // never stop polling because of one event
}

std::size_t possible_cpus() { return static_cast<std::size_t>(std::max(libbpf_num_possible_cpus(), 1)); }

// One entry of a per-CPU array: a value per possible CPU, or none if the lookup fails.
template <typename Value>
std::vector<Value> per_cpu_values(int fd, __u32 index) {
  std::vector<Value> values(possible_cpus());
  if (bpf_map_lookup_elem(fd, &index, values.data()) != 0) values.clear();
  return values;
}

void configure(TracerSkeleton& skel, const TracerOptions& options) {
  long page = ::sysconf(_SC_PAGESIZE);
  skel->rodata->filter_cgroups = !options.cgroup_roots.empty();
  skel->rodata->page_size = static_cast<__u64>(page);
  skel->rodata->page_counter_max = static_cast<__u64>(LONG_MAX / page);  // PAGE_COUNTER_MAX
  skel->rodata->nr_cpus = static_cast<__u32>(possible_cpus());
  bpf_map__set_max_entries(skel->maps.events, options.ringbuf_bytes);
  bpf_map__set_max_entries(skel->maps.files, options.max_files);
  // shmem files are a fraction of the files in the page cache, and an evicted size costs only
  // the next insertion's first-sight rule (pagecache.bpf.c).
  bpf_map__set_max_entries(skel->maps.shmem_sizes, std::max<std::uint32_t>(options.max_files / 4, 1));
  bpf_map__set_max_entries(skel->maps.charges, options.max_charges);
  bpf_map__set_max_entries(skel->maps.task_comms, options.max_charges);
}

// Leaves only `programs` to be loaded.
void select_programs(TracerSkeleton& skel, const std::vector<std::string>& programs) {
  bpf_program* program = nullptr;
  bpf_object__for_each_program(program, skel->obj) {
    std::string_view name = bpf_program__name(program);
    bool wanted = std::ranges::find(programs, name) != programs.end();
    bpf_program__set_autoload(program, wanted);
  }
}

template <typename Key, typename Value, typename Record>
std::vector<Record> dump_map(int fd) {
  std::vector<Record> records;
  Key key{}, next{};
  Key* previous = nullptr;
  while (bpf_map_get_next_key(fd, previous, &next) == 0) {
    Record record{};
    record.key = next;
    if (bpf_map_lookup_elem(fd, &next, &record.value) == 0) records.push_back(record);
    key = next;
    previous = &key;
  }
  return records;
}

std::uint64_t fdinfo_memlock(int fd) {
  std::ifstream in(fmt::format("/proc/self/fdinfo/{}", fd));
  std::string field;
  std::uint64_t value = 0;
  while (in >> field) {
    if (field == "memlock:") {
      in >> value;
      return value;
    }
  }
  return 0;
}

}  // namespace

struct Tracer::State {
  TracerSkeleton skel;
  std::vector<Link> links;
  RingBuffer ring;
};

Tracer::Tracer(std::unique_ptr<State> state) : state_(std::move(state)) {}
Tracer::~Tracer() = default;

Result<std::unique_ptr<Tracer>> Tracer::start(const TierChoice& choice,
                                              const TracerOptions& options, EventSink& sink) {
  auto skel = TracerSkeleton::open();
  if (!skel) return std::unexpected(skel.error());
  configure(*skel, options);
  select_programs(*skel, choice.programs);
  if (auto loaded = skel->load(); !loaded) return std::unexpected(loaded.error());

  auto state = std::make_unique<State>(State{std::move(*skel), {}, {}});
  const auto& s = state->skel;
  const __u8 yes = 1;
  for (std::uint64_t root : options.cgroup_roots)
    if (bpf_map_update_elem(bpf_map__fd(s->maps.traced_roots), &root, &yes, BPF_ANY) != 0)
      return fail("cannot add cgroup {} to the filter: {}", root, errno_text(errno));

  state->ring.reset(ring_buffer__new(bpf_map__fd(s->maps.events), on_ring_event, &sink, nullptr));
  if (!state->ring) return fail("cannot open the ring buffer: {}", errno_text(errno));

  auto tracer = std::unique_ptr<Tracer>(new Tracer(std::move(state)));
  bpf_program* program = nullptr;
  bpf_object__for_each_program(program, tracer->state_->skel->obj) {
    if (!bpf_program__autoload(program)) continue;
    auto link = attach_program(program);
    if (!link) return std::unexpected(link.error());
    tracer->state_->links.push_back(std::move(*link));
    tracer->attached_.emplace_back(bpf_program__name(program));
  }
  spdlog::debug("attached: {}", fmt::join(tracer->attached_, ", "));
  return tracer;
}

Result<void> Tracer::poll(int timeout_ms) {
  int result = ring_buffer__poll(state_->ring.get(), timeout_ms);
  // Name events come without a wakeup (files.bpf.h): take what is in the ring either way.
  if (result >= 0) result = ring_buffer__consume(state_->ring.get());
  if (result < 0 && result != -EINTR)
    return fail("reading the ring buffer failed: {}", errno_text(result));
  return {};
}

void Tracer::seed_oom_baseline(std::uint64_t cgroup_id) {
  const __u64 zero = 0;
  bpf_map_update_elem(bpf_map__fd(state_->skel->maps.oom_counts), &cgroup_id, &zero, BPF_ANY);
}

void Tracer::end_removal_epoch(std::uint32_t epoch) {
  const __u32 zero = 0;
  const int fd = bpf_map__fd(state_->skel->maps.removal_epoch);
  oomtrace_removal_epoch current{};
  // A later kill may have started its own epoch meanwhile: leave that one running.
  if (bpf_map_lookup_elem(fd, &zero, &current) == 0 && current.active && current.epoch == epoch) {
    current.active = 0;
    bpf_map_update_elem(fd, &zero, &current, BPF_ANY);
  }
}

std::vector<oomtrace_hot> Tracer::hot_slots() const {
  const int fd = bpf_map__fd(state_->skel->maps.hot_slots);
  std::vector<oomtrace_hot> all;
  for (__u32 index = 0; index < OOMTRACE_HOT_SLOT_COUNT; ++index)
    std::ranges::copy(per_cpu_values<oomtrace_hot>(fd, index), std::back_inserter(all));
  return all;
}

MapSnapshot Tracer::snapshot() const {
  MapSnapshot maps;
  maps.charges = dump_map<oomtrace_charge_key, oomtrace_charge_value, ChargeRecord>(
      bpf_map__fd(state_->skel->maps.charges));
  maps.files = dump_map<oomtrace_file_key, oomtrace_file_value, FileRecord>(bpf_map__fd(state_->skel->maps.files));
  maps.charge_entries = maps.charges.size();
  maps.file_entries = maps.files.size();
  const std::vector<oomtrace_hot> slots = hot_slots();
  add_pending(maps.charges, slots);
  add_pending(maps.files, slots);
  return maps;
}

std::map<std::uint32_t, std::string> Tracer::task_comms() const {
  struct Record {
    __u32 key;
    oomtrace_comm value;
  };
  std::map<std::uint32_t, std::string> comms;
  for (const Record& record : dump_map<__u32, oomtrace_comm, Record>(bpf_map__fd(state_->skel->maps.task_comms)))
    comms.emplace(record.key, std::string(record.value.comm, strnlen(record.value.comm, sizeof(record.value.comm))));
  return comms;
}

TracerCounters Tracer::counters(const MapSnapshot& maps) const {
  const int fd = bpf_map__fd(state_->skel->maps.counters);
  const auto sum = [fd](__u32 index) {
    std::uint64_t total = 0;
    for (__u64 value : per_cpu_values<__u64>(fd, index)) total += value;
    return total;
  };
  TracerCounters counters;
  counters.ringbuf_drops = sum(OOMTRACE_COUNTER_RINGBUF_DROPS);
  counters.file_inserts = sum(OOMTRACE_COUNTER_FILE_INSERTS);
  counters.file_insert_fails = sum(OOMTRACE_COUNTER_FILE_INSERT_FAILS);
  counters.charge_inserts = sum(OOMTRACE_COUNTER_CHARGE_INSERTS);
  counters.charge_insert_fails = sum(OOMTRACE_COUNTER_CHARGE_INSERT_FAILS);
  counters.file_entries = maps.file_entries;
  counters.charge_entries = maps.charge_entries;
  return counters;
}

std::vector<MapMemory> Tracer::map_memory() const {
  std::vector<MapMemory> maps;
  bpf_map* map = nullptr;
  bpf_object__for_each_map(map, state_->skel->obj) {
    int fd = bpf_map__fd(map);
    if (fd >= 0) maps.push_back({bpf_map__name(map), fdinfo_memlock(fd)});
  }
  return maps;
}

Result<void> probe_tracer_program(const std::string& program) {
  auto skel = TracerSkeleton::open();
  if (!skel) return std::unexpected(skel.error());
  TracerOptions small{.cgroup_roots = {}, .ringbuf_bytes = 4096, .max_files = 1, .max_charges = 1};
  configure(*skel, small);
  select_programs(*skel, {program});
  LibbpfQuiet quiet;
  if (auto loaded = skel->load(); !loaded) return std::unexpected(loaded.error());
  bpf_program* target = bpf_object__find_program_by_name((*skel)->obj, program.c_str());
  if (!target) return fail("no program {}", program);
  auto link = attach_program(target);
  if (!link) return std::unexpected(link.error());
  return {};
}

}  // namespace oomtrace
