// Naming (dev, ino) from the dentry names BPF sends, by the /proc/PID/maps conventions.
#include <gtest/gtest.h>

#include <cstring>

#include "names.hpp"

namespace oomtrace {
namespace {

constexpr std::uint32_t dev(std::uint32_t major, std::uint32_t minor) { return major << 20 | minor; }

oomtrace_name_event event(std::uint32_t device, std::vector<const char*> leaf_first, bool unlinked = false,
                          bool truncated = false) {
  oomtrace_name_event e{};
  e.dev = device;
  e.ino = 42;
  e.depth = static_cast<std::uint32_t>(leaf_first.size());
  e.unlinked = unlinked;
  e.truncated = truncated;
  for (std::size_t i = 0; i < leaf_first.size(); ++i)
    std::strncpy(e.names[i], leaf_first[i], OOMTRACE_NAME_COMPONENT_LEN - 1);
  return e;
}

const MountTable kMounts = MountTable::parse(
    "22 1 254:0 / / rw,relatime - ext4 /dev/vda rw\n"
    "25 24 0:23 / /dev/shm rw,relatime - tmpfs tmpfs rw\n"
    "30 25 0:27 / /dev/shm rw,relatime - tmpfs tmpfs rw\n"
    "40 22 254:0 /srv/data /mnt/data rw - ext4 /dev/vda rw\n"
    "41 22 8:1 /vol /srv/my\\040vol rw - ext4 /dev/sda1 rw\n");

TEST(Names, RegularFileGetsItsMountPrefix) {
  EXPECT_EQ(name_from_event(kMounts, event(dev(254, 0), {"app.log", "var", "home"})), "/home/var/app.log");
}

TEST(Names, TmpfsFileUnderDevShm) {
  EXPECT_EQ(name_from_event(kMounts, event(dev(0, 27), {"blob"})), "/dev/shm/blob");
  EXPECT_EQ(name_from_event(kMounts, event(dev(0, 27), {"blob"}, true)), "/dev/shm/blob (deleted)");
}

TEST(Names, BindMountStripsItsRoot) {
  EXPECT_EQ(name_from_event(kMounts, event(dev(8, 1), {"f", "vol"})), "/srv/my vol/f");
}

TEST(Names, InternalShmMountObjectsFollowProcMaps) {
  // memfd, SysV and shared anonymous mappings live on the kernel's shm mount, in no mountinfo.
  EXPECT_EQ(name_from_event(kMounts, event(dev(0, 1), {"memfd:cache"})), "/memfd:cache (deleted)");
  EXPECT_EQ(name_from_event(kMounts, event(dev(0, 1), {"SYSV0000002a"})), "/SYSV0000002a (deleted)");
  EXPECT_EQ(name_from_event(kMounts, event(dev(0, 1), {"zero", "dev"})), "/dev/zero (deleted)");
}

TEST(Names, NoDentryOrDeepPath) {
  EXPECT_EQ(name_from_event(kMounts, event(dev(254, 0), {})), "dev 254:0 inode 42");
  EXPECT_EQ(name_from_event(kMounts, event(dev(254, 0), {}, true)), "dev 254:0 inode 42 (deleted)");
  EXPECT_EQ(name_from_event(kMounts, event(dev(254, 0), {"leaf", "deep"}, false, true)), "/.../deep/leaf");
}

TEST(Names, DevString) {
  EXPECT_EQ(dev_string(dev(254, 0)), "254:0");
  EXPECT_EQ(dev_string(dev(0, 27)), "0:27");
  EXPECT_EQ(dev_string(dev(259, 1048575)), "259:1048575");
}

}  // namespace
}  // namespace oomtrace
