// Cgroup discovery and readers on fixture trees (no root, no kernel): v1 and v2 layouts.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <fstream>

#include "cgroup.hpp"

namespace oomtrace {
namespace {

class CgroupFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir[] = "/tmp/oomtrace-fixture-XXXXXX";
    ASSERT_NE(::mkdtemp(dir), nullptr);
    root_ = dir;
  }
  void TearDown() override { fs::remove_all(root_); }

  void write(const fs::path& relative, const std::string& content) {
    fs::create_directories((root_ / relative).parent_path());
    std::ofstream(root_ / relative) << content;
  }

  fs::path root_;
};

constexpr const char* kV1Mountinfo =
    "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
    "32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
    "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
    "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";
constexpr const char* kV1SelfCgroup =
    "9:name=systemd:/\n8:pids:/\n4:memory:/process_api/abc\n1:cpu:/\n0::/\n";

constexpr const char* kV2Mountinfo =
    "25 1 0:23 / / rw - ext4 /dev/vda rw\n"
    "28 25 0:26 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n";
constexpr const char* kV2SelfCgroup = "0::/user.slice/session-1.scope\n";

TEST_F(CgroupFixture, DiscoversV1MemoryHierarchy) {
  // The v2 mount here has only hugetlb: it must not win.
  write("sys/fs/cgroup/unified/cgroup.controllers", "hugetlb\n");
  auto controller = parse_memory_controller(kV1Mountinfo, kV1SelfCgroup, root_);
  ASSERT_TRUE(controller) << controller.error().message;
  EXPECT_EQ(controller->version, CgroupVersion::v1);
  EXPECT_EQ(controller->mount, root_ / "sys/fs/cgroup/memory");
  EXPECT_EQ(controller->self, root_ / "sys/fs/cgroup/memory/process_api/abc");
}

TEST_F(CgroupFixture, DiscoversV2WithMemoryController) {
  write("sys/fs/cgroup/cgroup.controllers", "cpuset cpu io memory pids\n");
  auto controller = parse_memory_controller(kV2Mountinfo, kV2SelfCgroup, root_);
  ASSERT_TRUE(controller) << controller.error().message;
  EXPECT_EQ(controller->version, CgroupVersion::v2);
  EXPECT_EQ(controller->self, root_ / "sys/fs/cgroup/user.slice/session-1.scope");
}

TEST_F(CgroupFixture, NoMemoryControllerIsAnErrorWithAFix) {
  write("sys/fs/cgroup/cgroup.controllers", "cpu io\n");
  auto controller = parse_memory_controller(kV2Mountinfo, kV2SelfCgroup, root_);
  ASSERT_FALSE(controller);
  EXPECT_NE(controller.error().message.find("mount cgroup2 with the memory controller"), std::string::npos);
}

TEST_F(CgroupFixture, ReadsV1Files) {
  const fs::path dir = "sys/fs/cgroup/memory/job";
  write(dir / "memory.usage_in_bytes", "67108864\n");
  write(dir / "memory.limit_in_bytes", "67108864\n");
  write(dir / "memory.kmem.usage_in_bytes", "212992\n");
  write(dir / "memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n");
  write(dir / "memory.stat",
        "cache 16777216\nrss 50331648\nshmem 16777216\ndirty 4096\nwriteback 0\npgfault 99\n"
        "hierarchical_memory_limit 67108864\ntotal_cache 16781312\ntotal_rss 50335744\n"
        "total_shmem 16777216\ntotal_dirty 8192\ntotal_writeback 4096\ntotal_mapped_file 12288\n"
        "total_pgfault 1234\ntotal_workingset_refault_file 5\n");
  CgroupFs cgroups({CgroupVersion::v1, root_ / "sys/fs/cgroup/memory", root_ / dir});
  EXPECT_TRUE(cgroups.has_memory_controller(root_ / dir));
  EXPECT_EQ(cgroups.usage(root_ / dir).value(), 67108864u);
  EXPECT_EQ(cgroups.limit(root_ / dir).value(), 67108864u);
  EXPECT_EQ(cgroups.oom_kills(root_ / dir).value(), 2u);
  auto stat = cgroups.stat(root_ / dir).value();
  // v1 is read from the hierarchical total_* keys.
  EXPECT_EQ(stat.anon_bytes, 50335744u);
  EXPECT_EQ(stat.file_bytes, 16781312u);
  EXPECT_EQ(stat.shmem_bytes, 16777216u);
  EXPECT_EQ(stat.file_dirty_bytes, 8192u);
  EXPECT_EQ(stat.file_writeback_bytes, 4096u);
  EXPECT_EQ(stat.kernel_bytes, 212992u);
  EXPECT_EQ(stat.other.at("mapped_file"), 12288u);
  EXPECT_EQ(stat.other.at("hierarchical_memory_limit"), 67108864u);
  EXPECT_FALSE(stat.other.contains("pgfault"));
  EXPECT_FALSE(stat.other.contains("workingset_refault_file"));
  EXPECT_EQ(cgroups.relative(root_ / dir), "/job");
  EXPECT_EQ(cgroups.relative(root_ / "sys/fs/cgroup/memory"), "/");
}

TEST_F(CgroupFixture, V1UnlimitedIsNoLimit) {
  write("m/memory.limit_in_bytes", "9223372036854771712\n");
  CgroupFs cgroups({CgroupVersion::v1, root_, root_});
  EXPECT_FALSE(cgroups.limit(root_ / "m").value().has_value());
}

TEST_F(CgroupFixture, ReadsV2Files) {
  const fs::path dir = "sys/fs/cgroup/job";
  write(dir / "memory.current", "1048576\n");
  write(dir / "memory.max", "max\n");
  write(dir / "memory.events", "low 0\nhigh 0\nmax 12\noom 1\noom_kill 1\noom_group_kill 0\n");
  write(dir / "memory.stat",
        "anon 1000\nfile 2000\nkernel 300\nkernel_stack 100\nshmem 500\nfile_dirty 10\n"
        "file_writeback 20\nsock 0\npgfault 7\nworkingset_refault_anon 1\nthp_fault_alloc 0\n");
  CgroupFs cgroups({CgroupVersion::v2, root_ / "sys/fs/cgroup", root_ / dir});
  EXPECT_EQ(cgroups.usage(root_ / dir).value(), 1048576u);
  EXPECT_FALSE(cgroups.limit(root_ / dir).value().has_value());
  EXPECT_EQ(cgroups.oom_kills(root_ / dir).value(), 1u);
  auto stat = cgroups.stat(root_ / dir).value();
  EXPECT_EQ(stat.anon_bytes, 1000u);
  EXPECT_EQ(stat.file_bytes, 2000u);
  EXPECT_EQ(stat.shmem_bytes, 500u);
  EXPECT_EQ(stat.file_dirty_bytes, 10u);
  EXPECT_EQ(stat.file_writeback_bytes, 20u);
  EXPECT_EQ(stat.kernel_bytes, 300u);
  EXPECT_EQ(stat.other.at("kernel_stack"), 100u);
  EXPECT_FALSE(stat.other.contains("pgfault"));
  EXPECT_FALSE(stat.other.contains("thp_fault_alloc"));
}

TEST(MapMemoryStat, V2BeforeKernelKeySumsItsParts) {
  auto stat = map_memory_stat(CgroupVersion::v2,
                              {{"kernel_stack", 1}, {"pagetables", 2}, {"percpu", 4}, {"sock", 8},
                               {"vmalloc", 16}, {"slab", 32}},
                              std::nullopt);
  EXPECT_EQ(stat.kernel_bytes, 63u);
}

TEST(MapMemoryStat, V1AndV2MapToTheSameModel) {
  auto v1 = map_memory_stat(CgroupVersion::v1,
                            {{"total_rss", 1}, {"total_cache", 2}, {"total_shmem", 3}, {"total_dirty", 4},
                             {"total_writeback", 5}},
                            6);
  auto v2 = map_memory_stat(CgroupVersion::v2,
                            {{"anon", 1}, {"file", 2}, {"shmem", 3}, {"file_dirty", 4},
                             {"file_writeback", 5}, {"kernel", 6}},
                            std::nullopt);
  for (const MemoryStat* s : {&v1, &v2}) {
    EXPECT_EQ(s->anon_bytes, 1u);
    EXPECT_EQ(s->file_bytes, 2u);
    EXPECT_EQ(s->shmem_bytes, 3u);
    EXPECT_EQ(s->file_dirty_bytes, 4u);
    EXPECT_EQ(s->file_writeback_bytes, 5u);
    EXPECT_EQ(s->kernel_bytes, 6u);
  }
}

TEST(ParseKeyValues, SkipsMalformedLines) {
  auto values = parse_key_values("a 1\nb\nc x\nd 4 5\ne 5\n");
  EXPECT_EQ(values.size(), 2u);
  EXPECT_EQ(values.at("a"), 1u);
  EXPECT_EQ(values.at("e"), 5u);
}

}  // namespace
}  // namespace oomtrace
