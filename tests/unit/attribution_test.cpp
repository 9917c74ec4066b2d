// The aggregation model on synthetic map snapshots.
#include <gtest/gtest.h>

#include <cstring>

#include "attribution.hpp"

namespace oomtrace {
namespace {

constexpr std::uint64_t kPage = 4096;
constexpr std::uint64_t kCgroup = 100, kChild = 101, kOther = 200;

FileRecord file(std::uint64_t memcg, std::uint32_t dev, std::uint64_t ino, std::uint32_t tgid,
                std::int64_t pages, std::uint32_t kind = OOMTRACE_OBJECT_FILE) {
  FileRecord record{};
  record.key = {memcg, ino, dev, tgid};
  record.value.pages = pages;
  record.value.kind = kind;
  return record;
}

ChargeRecord charge(std::uint64_t memcg, std::uint32_t tgid, std::int64_t anon_pages) {
  ChargeRecord record{};
  record.key = {memcg, tgid, 0};
  record.value.pages[OOMTRACE_SLOT_ANON] = anon_pages;
  return record;
}

AttributionInput input_with(std::vector<FileRecord> files, std::vector<ChargeRecord> charges = {}) {
  AttributionInput input;
  input.files = std::move(files);
  input.charges = std::move(charges);
  input.memcg_ids = {kCgroup, kChild};
  input.page_size = kPage;
  input.name_of = [](std::uint32_t, std::uint64_t ino) { return "/f" + std::to_string(ino); };
  input.is_alive = [](std::uint32_t pid) { return pid != 13; };
  input.comms = {{7, "reader"}, {8, "b"}, {13, "gone"}};
  return input;
}

TEST(Attribute, SumsAddsMinusRemovalsPerFile) {
  auto result = attribute(input_with({file(kCgroup, 1, 10, 7, 100), file(kCgroup, 1, 10, 0, -40)}));
  ASSERT_EQ(result.files.size(), 1u);
  EXPECT_EQ(result.files[0].resident_bytes, 60 * kPage);
  EXPECT_EQ(result.files[0].name, "/f10");
  EXPECT_EQ(result.files[0].dev, "0:1");
  ASSERT_EQ(result.files[0].chargers.size(), 1u);
  EXPECT_EQ(result.files[0].chargers[0].pid, 7u);
  EXPECT_EQ(result.files[0].chargers[0].bytes, 60 * kPage);
  EXPECT_EQ(result.tracked_file_bytes, 60 * kPage);
}

TEST(Attribute, SplitsWhatIsResidentBetweenChargers) {
  auto result = attribute(input_with(
      {file(kCgroup, 1, 10, 7, 300, OOMTRACE_OBJECT_FILE), file(kCgroup, 1, 10, 8, 100, OOMTRACE_OBJECT_FILE),
       file(kCgroup, 1, 10, 0, -200)}));
  ASSERT_EQ(result.files[0].chargers.size(), 2u);
  EXPECT_EQ(result.files[0].chargers[0].pid, 7u);
  EXPECT_EQ(result.files[0].chargers[0].bytes, 150 * kPage);
  EXPECT_EQ(result.files[0].chargers[1].bytes, 50 * kPage);
}

TEST(Attribute, CountsChildCgroupsAndIgnoresOthers) {
  auto result = attribute(input_with({file(kCgroup, 1, 10, 7, 10), file(kChild, 1, 10, 7, 5),
                                      file(kOther, 1, 10, 7, 1000), file(kOther, 1, 11, 9, 1000)}));
  ASSERT_EQ(result.files.size(), 1u);
  EXPECT_EQ(result.files[0].resident_bytes, 15 * kPage);
}

TEST(Attribute, DropsFilesWithNothingResidentAndSortsLargestFirst) {
  auto result = attribute(input_with({file(kCgroup, 1, 1, 7, 10), file(kCgroup, 1, 1, 0, -10),
                                      file(kCgroup, 1, 2, 7, 5), file(kCgroup, 1, 3, 7, 50),
                                      file(kCgroup, 1, 4, 0, -3)}));
  ASSERT_EQ(result.files.size(), 2u);
  EXPECT_EQ(result.files[0].ino, 3u);
  EXPECT_EQ(result.files[1].ino, 2u);
}

TEST(Attribute, ProcessesGetFileShmemAndAnon) {
  auto input = input_with(
      {file(kCgroup, 1, 10, 7, 100, OOMTRACE_OBJECT_FILE),
       file(kCgroup, 27, 5, 7, 50, OOMTRACE_OBJECT_SHMEM),
       file(kCgroup, 27, 6, 13, 25, OOMTRACE_OBJECT_SHMEM)},
      {charge(kCgroup, 7, 1000), charge(kCgroup, 0, -500), charge(kOther, 9, 99)});
  auto result = attribute(input);
  ASSERT_EQ(result.processes.size(), 2u);
  const ProcessEntry& reader = result.processes[0];
  EXPECT_EQ(reader.pid, 7u);
  EXPECT_EQ(reader.comm, "reader");
  EXPECT_EQ(reader.anon_bytes, 1000 * kPage);
  EXPECT_EQ(reader.file_bytes, 100 * kPage);
  EXPECT_EQ(reader.shmem_bytes, 50 * kPage);
  EXPECT_FALSE(reader.exited);
  // An exited process keeps what it left resident.
  EXPECT_EQ(result.processes[1].pid, 13u);
  EXPECT_EQ(result.processes[1].shmem_bytes, 25 * kPage);
  EXPECT_TRUE(result.processes[1].exited);
  EXPECT_EQ(result.files[1].kind, "shmem");
  EXPECT_EQ(result.tracked_shmem_bytes, 75 * kPage);
}

TEST(Attribute, VictimAnonAtTheKillWins) {
  auto input = input_with({}, {charge(kCgroup, 7, 2)});
  input.victim_anon_bytes = {{7u, 48u << 20}};
  auto result = attribute(input);
  ASSERT_EQ(result.processes.size(), 1u);
  EXPECT_EQ(result.processes[0].anon_bytes, 48u << 20);
}

TEST(Attribute, AnOomReportLeavesOutRemovalsAfterItsKill) {
  auto input = input_with({file(kCgroup, 0, 5, 7, 100, OOMTRACE_OBJECT_SHMEM),
                           file(kCgroup, 0, 5, OOMTRACE_REMOVED_AFTER_KILL | 3, -20, OOMTRACE_OBJECT_SHMEM),
                           file(kCgroup, 0, 5, OOMTRACE_REMOVED_AFTER_KILL | 4, -30, OOMTRACE_OBJECT_SHMEM),
                           file(kCgroup, 0, 5, 0, -10, OOMTRACE_OBJECT_SHMEM)});
  input.at_kill_epoch = 4;  // epoch 3's removals came before this kill
  auto result = attribute(input);
  ASSERT_EQ(result.files.size(), 1u);
  EXPECT_EQ(result.files[0].resident_bytes, 70 * kPage);
  ASSERT_EQ(result.processes.size(), 1u);  // removal buckets are not processes
  EXPECT_EQ(result.removed_shmem_bytes, 30 * kPage);  // what the stat at the kill adds back
  EXPECT_EQ(result.removed_file_bytes, 0u);
  input.at_kill_epoch.reset();  // an exit report counts every removal
  EXPECT_EQ(attribute(input).files[0].resident_bytes, 40 * kPage);
}

TEST(Attribute, UntrackedIsWhatTheCgroupHoldsBeyondTheFiles) {
  MemoryStat stat;
  stat.file_bytes = 100 * kPage;  // includes shmem, as memory.stat does
  stat.shmem_bytes = 30 * kPage;
  Attribution attribution;
  attribution.tracked_file_bytes = 50 * kPage;
  attribution.tracked_shmem_bytes = 40 * kPage;  // more than the stat says: clamps to 0
  auto untracked = untracked_memory(stat, attribution);
  EXPECT_EQ(untracked.file_bytes, 20 * kPage);
  EXPECT_EQ(untracked.shmem_bytes, 0u);
}

TEST(StatAtKill, MovesTheReadBackByTheChargesAndWhatLeftTheFiles) {
  MemoryStat now;
  now.anon_bytes = 0;  // the victim's exit freed it
  now.shmem_bytes = 16 * kPage;
  now.file_bytes = 20 * kPage;  // includes shmem
  now.kernel_bytes = 3 * kPage;
  now.file_dirty_bytes = 5 * kPage;
  oomtrace_memcg_totals at_kill{}, at_read{};
  at_kill.pages[OOMTRACE_SLOT_ANON] = 12000;
  at_read.pages[OOMTRACE_SLOT_ANON] = 10;
  at_kill.pages[OOMTRACE_SLOT_KERNEL] = 4;
  at_read.pages[OOMTRACE_SLOT_KERNEL] = 8;  // charged since: the read is higher than the kill
  Attribution attribution;
  attribution.removed_shmem_bytes = 100 * kPage;  // the victim's memfd
  attribution.removed_file_bytes = 2 * kPage;
  auto stat = stat_at_kill(now, at_kill, at_read, attribution, kPage);
  EXPECT_EQ(stat.anon_bytes, 11990 * kPage);
  EXPECT_EQ(stat.kernel_bytes, 0u);  // clamps at zero
  EXPECT_EQ(stat.shmem_bytes, 116 * kPage);
  EXPECT_EQ(stat.file_bytes, 122 * kPage);
  EXPECT_EQ(stat.file_dirty_bytes, 5 * kPage);  // left as read
}

}  // namespace
}  // namespace oomtrace
