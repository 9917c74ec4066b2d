// Root tier: the BPF programs loaded into the running kernel, driven by real workloads in
// cgroups made below our own, and checked against what the workloads did.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <set>
#include <thread>

#include "attribution.hpp"
#include "features.hpp"
#include "names.hpp"
#include "process.hpp"
#include "root.hpp"
#include "test_cgroup.hpp"
#include "tracer.hpp"

namespace oomtrace::test {
namespace {

constexpr std::uint64_t kPage = 4096;

// /proc/swaps lists a header line and one line per active swap area.
bool swap_is_off() {
  std::ifstream swaps("/proc/swaps");
  std::string line;
  int lines = 0;
  while (std::getline(swaps, line)) ++lines;
  return lines <= 1;
}

struct CollectingSink final : EventSink {
  std::vector<oomtrace_victim_event> victims;
  std::vector<oomtrace_name_event> names;
  void on_victim(const oomtrace_victim_event& event) override { victims.push_back(event); }
  void on_name(const oomtrace_name_event& event) override { names.push_back(event); }
};

class TracerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    OOMTRACE_REQUIRE_ROOT();
    choice_ = choose_tier(features_);
    OOMTRACE_REQUIRE(choice_.can_trace, "this kernel cannot trace: " + choice_.blocker);
    cgroup_ = TestCgroup::make("bpf");
    ASSERT_TRUE(cgroup_) << "cannot create a test cgroup below our own";
    auto id = CgroupFs::id(cgroup_->dir());
    ASSERT_TRUE(id);
    id_ = *id;
    TracerOptions options;
    options.cgroup_roots = {id_};
    auto tracer = Tracer::start(choice_, options, sink_);
    ASSERT_TRUE(tracer) << tracer.error().message;
    tracer_ = std::move(*tracer);
  }

  // The hook's program is chosen, in any of its variants (handle_filemap_add_probe_read...).
  bool uses(const std::string& program) const {
    return std::ranges::any_of(choice_.programs, [&](const std::string& chosen) {
      return chosen == program || chosen.starts_with(program + "_");
    });
  }

  int run(std::vector<std::string> steps) {
    steps.insert(steps.begin(), built("tests/workload"));
    return run_in_cgroup(cgroup_->dir(), steps);
  }

  void drain() {
    for (int i = 0; i < 5; ++i) ASSERT_TRUE(tracer_->poll(20));
  }

  std::vector<FileRecord> files() const { return tracer_->snapshot().files; }
  std::vector<ChargeRecord> charges() const { return tracer_->snapshot().charges; }

  // Resident pages of one inode in our cgroup, and the charging tgids seen.
  std::pair<std::int64_t, std::set<std::uint32_t>> pages_of(const std::string& path) {
    struct stat st {};
    EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
    std::int64_t pages = 0;
    std::set<std::uint32_t> chargers;
    for (const FileRecord& record : files()) {
      if (record.key.memcg_id != id_ || record.key.ino != st.st_ino) continue;
      pages += record.value.pages;
      if (record.key.tgid) chargers.insert(record.key.tgid);
    }
    return {pages, chargers};
  }

  KernelFeatures features_;
  TierChoice choice_;
  std::unique_ptr<TestCgroup> cgroup_;
  std::uint64_t id_ = 0;
  CollectingSink sink_;
  std::unique_ptr<Tracer> tracer_;
};

TEST(Programs, EveryChosenProgramLoadsAndAttachesAlone) {
  OOMTRACE_REQUIRE_ROOT();
  KernelFeatures features;
  TierChoice choice = choose_tier(features);
  ASSERT_TRUE(choice.can_trace) << choice.blocker;
  ASSERT_FALSE(choice.programs.empty());
  for (const auto& program : choice.programs) {
    auto probed = probe_tracer_program(program);
    EXPECT_TRUE(probed) << program << ": " << probed.error().message;
  }
  for (const auto& note : choice.notes) std::printf("note: %s\n", note.c_str());
}

TEST(Programs, BothMarkVictimShapesPassTheVerifier) {
  OOMTRACE_REQUIRE_ROOT();
  // The other shape's program must at least load: CO-RE keeps it valid on every kernel.
  for (const char* program : {"handle_mark_victim", "handle_mark_victim_pid"}) {
    auto probed = probe_tracer_program(program);
    EXPECT_TRUE(probed) << program << ": " << probed.error().message;
  }
}

TEST(Programs, ProbeReadFallbacksPassTheVerifier) {
  OOMTRACE_REQUIRE_ROOT();
  // The twins for kernels without bpf_rdonly_cast load on newer kernels too.
  for (const HookSpec& hook : tracer_hooks()) {
    if (!hook.fallback) continue;
    auto probed = probe_tracer_program(hook.fallback);
    EXPECT_TRUE(probed) << hook.fallback << ": " << probed.error().message;
  }
}

TEST_F(TracerTest, CountsPageCacheOfAWrittenFileAndItsRemoval) {
  OOMTRACE_REQUIRE(uses("handle_filemap_add"), "no filemap tracepoints on this kernel");
  const std::string path = temp_dir_path("oomtrace-bpf-write." + std::to_string(::getpid()));
  ASSERT_EQ(run({"write:" + path + ":8"}), 0);
  drain();
  auto [pages, chargers] = pages_of(path);
  EXPECT_EQ(pages, static_cast<std::int64_t>((8 << 20) / kPage));
  EXPECT_EQ(chargers.size(), 1u);
  // The dentry walk's names, with the mount prefix from mountinfo, give back the path.
  const MountTable mounts = MountTable::load();
  bool named = std::ranges::any_of(sink_.names, [&](const oomtrace_name_event& e) {
    return name_from_event(mounts, e) == path;
  });
  EXPECT_TRUE(named);
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  ::unlink(path.c_str());  // truncation fires the delete tracepoint for every folio
  drain();
  std::int64_t left = 0;
  for (const FileRecord& record : files()) {
    if (record.key.memcg_id == id_ && record.key.ino == st.st_ino) left += record.value.pages;
  }
  EXPECT_EQ(left, 0) << "pages still counted after unlink";
}

TEST_F(TracerTest, CountsShmemByObject) {
  OOMTRACE_REQUIRE(uses("handle_lru_insertion"), "no pagemap:mm_lru_insertion on this kernel");
  const std::string written = "/dev/shm/oomtrace-bpf-w." + std::to_string(::getpid());
  const std::string mapped = "/dev/shm/oomtrace-bpf-m." + std::to_string(::getpid());
  ASSERT_EQ(run({"shm:" + written + ":6", "shm-mmap:" + mapped + ":4"}), 0);
  drain();
  // Insertions are seen when the per-CPU LRU batch drains (up to 31 folios per CPU).
  const double lag = 31.0 * std::thread::hardware_concurrency();
  EXPECT_NEAR(pages_of(written).first, (6 << 20) / kPage, lag);
  EXPECT_NEAR(pages_of(mapped).first, (4 << 20) / kPage, lag);
  // Every record charged here has its filesystem's kind: shmem on /dev/shm, page cache
  // elsewhere (exec may read pages of the workload's own binary back in).
  struct stat shm {};
  ASSERT_EQ(::stat("/dev/shm", &shm), 0);
  const std::string shm_dev = fmt::format("{}:{}", major(shm.st_dev), minor(shm.st_dev));
  for (const FileRecord& record : files()) {
    if (record.key.memcg_id == id_ && record.key.tgid) {
      const bool on_shm = dev_string(record.key.dev) == shm_dev;
      EXPECT_EQ(record.value.kind, on_shm ? OOMTRACE_OBJECT_SHMEM : OOMTRACE_OBJECT_FILE)
          << anonymous_name(record.key.dev, record.key.ino);
    }
  }
  ::unlink(written.c_str());
  ::unlink(mapped.c_str());
  drain();
  EXPECT_EQ(pages_of("/dev/shm").first, 0);  // nothing for the directory itself
}

// MADV_PAGEOUT isolates every folio; with no swap, reclaim puts each back on the LRU, which
// fires mm_lru_insertion again for pages already counted.
TEST_F(TracerTest, CountsAShmemFolioPutBackOnTheLruOnce) {
  OOMTRACE_REQUIRE(uses("handle_lru_insertion"), "no pagemap:mm_lru_insertion on this kernel");
  OOMTRACE_REQUIRE(swap_is_off(), "swap is on: MADV_PAGEOUT would swap the pages out, not put them back");
  const std::string mapped = "/dev/shm/oomtrace-bpf-p." + std::to_string(::getpid());
  ASSERT_EQ(run({"shm-mmap:" + mapped + ":4", "shm-pageout:" + mapped, "shm-pageout:" + mapped}), 0);
  drain();
  const double lag = 31.0 * std::thread::hardware_concurrency();
  EXPECT_NEAR(pages_of(mapped).first, (4 << 20) / kPage, lag);
  ::unlink(mapped.c_str());
}

// Pages a shmem file held before the tracer saw it are not counted to whoever adds to it next:
// they are untracked, like all memory from before tracing started.
TEST_F(TracerTest, CountsOnlyWhatAShmemFileGrewBy) {
  OOMTRACE_REQUIRE(uses("handle_lru_insertion"), "no pagemap:mm_lru_insertion on this kernel");
  auto before = TestCgroup::make("bpf-before");  // outside the filter: never seen
  ASSERT_TRUE(before);
  const std::string path = "/dev/shm/oomtrace-bpf-a." + std::to_string(::getpid());
  ASSERT_EQ(run_in_cgroup(before->dir(), {built("tests/workload"), "shm:" + path + ":4"}), 0);
  ASSERT_EQ(run({"shm-append:" + path + ":1"}), 0);
  drain();
  const double lag = 31.0 * std::thread::hardware_concurrency();
  auto [pages, chargers] = pages_of(path);
  EXPECT_NEAR(pages, (1 << 20) / kPage, lag);  // not the 4 MiB from before
  EXPECT_EQ(chargers.size(), 1u);
  ::unlink(path.c_str());
}

TEST_F(TracerTest, IgnoresCgroupsOutsideTheFilter) {
  OOMTRACE_REQUIRE(uses("handle_filemap_add"), "no filemap tracepoints on this kernel");
  auto sibling = TestCgroup::make("bpf-sibling");
  ASSERT_TRUE(sibling);
  const std::string path = temp_dir_path("oomtrace-bpf-sibling." + std::to_string(::getpid()));
  ASSERT_EQ(run_in_cgroup(sibling->dir(), {built("tests/workload"), "write:" + path + ":4"}), 0);
  drain();
  auto sibling_id = CgroupFs::id(sibling->dir());
  for (const FileRecord& record : files()) EXPECT_NE(record.key.memcg_id, *sibling_id);
  ::unlink(path.c_str());
}

TEST_F(TracerTest, CountsTheFileEntriesAFullMapEvicts) {
  OOMTRACE_REQUIRE(uses("handle_filemap_add"), "no filemap tracepoints on this kernel");
  constexpr std::uint32_t kEntries = 16, kFiles = 64;
  tracer_.reset();
  auto tracer = Tracer::start(choice_, TracerOptions{.cgroup_roots = {id_}, .max_files = kEntries}, sink_);
  ASSERT_TRUE(tracer) << tracer.error().message;
  tracer_ = std::move(*tracer);
  const std::string dir = temp_dir_path("oomtrace-bpf-evict." + std::to_string(::getpid()));
  ASSERT_EQ(::mkdir(dir.c_str(), 0755), 0);
  std::vector<std::string> steps;
  for (std::uint32_t i = 0; i < kFiles; ++i) steps.push_back("write:" + dir + "/f" + std::to_string(i) + ":1");
  ASSERT_EQ(run(steps), 0);
  drain();
  const MapSnapshot maps = tracer_->snapshot();
  const TracerCounters counters = tracer_->counters(maps);
  for (std::uint32_t i = 0; i < kFiles; ++i) ::unlink((dir + "/f" + std::to_string(i)).c_str());
  ::rmdir(dir.c_str());
  // One entry per file; the map keeps at most kEntries, and the rest count as evicted.
  EXPECT_GE(counters.file_inserts, kFiles);
  EXPECT_LE(maps.file_entries, kEntries);
  EXPECT_GE(counters.file_evictions(), kFiles - kEntries);
}

TEST_F(TracerTest, ChargesAnonPerProcess) {
  OOMTRACE_REQUIRE(uses("handle_rss_stat"), "no kmem:rss_stat tracepoint on this kernel");
  const int pid = start_in_cgroup(cgroup_->dir(), {built("tests/workload"), "anon:24", "sleep:1500"});
  std::this_thread::sleep_for(std::chrono::milliseconds(800));
  drain();
  const oomtrace_charge_key key{id_, static_cast<std::uint32_t>(pid), 0};
  auto records = charges();
  auto it = std::ranges::find_if(records, [&](const ChargeRecord& r) {
    return r.key.memcg_id == key.memcg_id && r.key.tgid == key.tgid;
  });
  ASSERT_NE(it, records.end()) << "no charges for the workload";
  // 24 MiB touched, plus what the loader mapped privately. The mm counter lags by what is
  // still cached per thread (64 events, up to 6.1) or per CPU (a percpu_counter batch, 6.2+).
  const std::int64_t slack = 64 * std::max<std::int64_t>(std::thread::hardware_concurrency(), 1);
  EXPECT_GE(it->value.pages[OOMTRACE_SLOT_ANON], (24 << 20) / static_cast<std::int64_t>(kPage) - slack);
  EXPECT_LE(it->value.pages[OOMTRACE_SLOT_ANON], (28 << 20) / static_cast<std::int64_t>(kPage));
  EXPECT_EQ(tracer_->task_comms().at(pid), "workload");  // renamed at exec
  auto totals = sum_charges(charges(), id_);
  ASSERT_TRUE(totals);
  EXPECT_GE(totals->pages[OOMTRACE_SLOT_ANON], it->value.pages[OOMTRACE_SLOT_ANON]);

  EXPECT_EQ(wait_program(pid), 0);
  drain();
  // Its exit unmapped the anon: back to about zero (the mm counter's per-CPU slack).
  for (const ChargeRecord& record : charges()) {
    if (record.key.memcg_id == id_ && record.key.tgid == key.tgid) {
      EXPECT_LT(record.value.pages[OOMTRACE_SLOT_ANON], 64);
    }
  }
}

TEST_F(TracerTest, ReportsAnOomVictimWithItsDomain) {
  ASSERT_TRUE(cgroup_->fs().set_limit(cgroup_->dir(), 32u << 20));
  tracer_->seed_oom_baseline(id_);
  int status = run({"leak"});
  EXPECT_EQ(status, 128 + SIGKILL);
  drain();
  ASSERT_EQ(sink_.victims.size(), 1u);
  const auto& victim = sink_.victims.front();
  EXPECT_EQ(victim.has_task, 1u);
  EXPECT_STREQ(victim.victim_comm, "workload");
  EXPECT_EQ(victim.victim_memcg_id, id_);
  EXPECT_EQ(victim.oom_memcg_id, id_);
  EXPECT_EQ(victim.domain_method, static_cast<std::uint32_t>(OOMTRACE_DOMAIN_OOM_EVENT));
  EXPECT_EQ(victim.oom_limit_bytes, 32u << 20);
  EXPECT_GE(victim.oom_usage_bytes, (32u << 20) - (1u << 20));
  EXPECT_GT(victim.anon_rss_bytes, 24u << 20);
  EXPECT_EQ(victim.trigger_tgid, victim.victim_tgid);  // it hit the limit itself
  EXPECT_EQ(tracer_->counters().ringbuf_drops, 0u);
}

}  // namespace
}  // namespace oomtrace::test
