#include <gtest/gtest.h>

#include "pending.hpp"

namespace oomtrace::test {
namespace {

oomtrace_hot file_slot(std::uint64_t memcg, std::uint64_t ino, std::uint32_t tgid, std::int64_t pages) {
  oomtrace_hot slot{};
  slot.file_key = {.memcg_id = memcg, .ino = ino, .dev = 7, .tgid = tgid};
  slot.file_pages = {.pages = pages, .kind = OOMTRACE_OBJECT_SHMEM, .pad = 0};
  return slot;
}

oomtrace_hot charge_slot(std::uint64_t memcg, std::uint32_t tgid, int which, std::int64_t pages) {
  oomtrace_hot slot{};
  slot.charge_key = {.memcg_id = memcg, .tgid = tgid, .pad = 0};
  slot.charge_pages.pages[which] = pages;
  return slot;
}

TEST(Pending, AddsEachSlotToTheRecordOfItsKey) {
  std::vector<FileRecord> files{{{.memcg_id = 1, .ino = 10, .dev = 7, .tgid = 5}, {.pages = 100, .kind = 1, .pad = 0}},
                                {{.memcg_id = 1, .ino = 11, .dev = 7, .tgid = 5}, {.pages = 3, .kind = 1, .pad = 0}}};
  // Two CPUs pending on the same file, one removal pending on another.
  std::vector<oomtrace_hot> slots{file_slot(1, 10, 5, 20), file_slot(1, 10, 5, 1), file_slot(1, 11, 5, -3)};
  add_pending(files, slots);
  ASSERT_EQ(files.size(), 2u);
  EXPECT_EQ(files[0].value.pages, 121);
  EXPECT_EQ(files[1].value.pages, 0);
}

TEST(Pending, AppendsWhatTheMapNoLongerHolds) {
  std::vector<FileRecord> files;
  std::vector<oomtrace_hot> slots{file_slot(2, 10, 0, -8)};
  add_pending(files, slots);
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(files[0].key.memcg_id, 2u);
  EXPECT_EQ(files[0].value.pages, -8);
  EXPECT_EQ(files[0].value.kind, OOMTRACE_OBJECT_SHMEM);
}

TEST(Pending, IgnoresSlotsWithNothingPending) {
  // A slot keeps its last key after the flush: with zero pages it must not add a record.
  std::vector<FileRecord> files;
  std::vector<ChargeRecord> charges;
  std::vector<oomtrace_hot> slots{file_slot(3, 10, 5, 0), charge_slot(3, 5, OOMTRACE_SLOT_KERNEL, 0), oomtrace_hot{}};
  add_pending(files, slots);
  add_pending(charges, slots);
  EXPECT_TRUE(files.empty());
  EXPECT_TRUE(charges.empty());
}

TEST(Pending, AddsChargesSlotBySlot) {
  std::vector<ChargeRecord> charges(1);
  charges[0].key = {.memcg_id = 4, .tgid = 9, .pad = 0};
  charges[0].value.pages[OOMTRACE_SLOT_ANON] = 50;  // set by rss_stat, never pending
  charges[0].value.pages[OOMTRACE_SLOT_KERNEL] = 3;
  std::vector<oomtrace_hot> slots{charge_slot(4, 9, OOMTRACE_SLOT_KERNEL, 6), charge_slot(4, 9, OOMTRACE_SLOT_KERNEL, 2),
                                  charge_slot(4, 0, OOMTRACE_SLOT_KERNEL, -1)};
  add_pending(charges, slots);
  ASSERT_EQ(charges.size(), 2u);
  EXPECT_EQ(charges[0].value.pages[OOMTRACE_SLOT_ANON], 50);
  EXPECT_EQ(charges[0].value.pages[OOMTRACE_SLOT_KERNEL], 11);
  EXPECT_EQ(charges[1].key.tgid, 0u);
  EXPECT_EQ(charges[1].value.pages[OOMTRACE_SLOT_KERNEL], -1);
}

}  // namespace
}  // namespace oomtrace::test
