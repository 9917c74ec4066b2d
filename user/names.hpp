// Turning (dev, ino) and the dentry names BPF sent into the names of /proc/PID/maps.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "abi.hpp"

namespace oomtrace {

// Kernel dev_t (major << 20 | minor) as "MAJ:MIN".
std::string dev_string(std::uint32_t kernel_dev);

struct Mount {
  std::string root;        // the mounted subtree of the filesystem ("/" mostly)
  std::string mountpoint;  // where it is mounted
};

// Mounts by device, from /proc/self/mountinfo. For a device mounted more than once the
// shortest mount point wins, the name a person would use.
class MountTable {
 public:
  static MountTable parse(std::string_view mountinfo);
  static MountTable load();
  std::optional<Mount> find(std::uint32_t kernel_dev) const;

 private:
  std::map<std::string, Mount> by_dev_;
};

// The name, following the contract: absolute path, "PATH (deleted)" when unlinked, and for
// objects on no visible mount (memfd, SysV, shared anon on the kernel's internal shm mount)
// "/NAME (deleted)", which yields "/memfd:x (deleted)", "/SYSV0000002a (deleted)",
// "/dev/zero (deleted)".
std::string name_from_event(const MountTable& mounts, const oomtrace_name_event& event);

// Fallback for an inode whose name event was lost: "dev MAJ:MIN inode N".
std::string anonymous_name(std::uint32_t kernel_dev, std::uint64_t ino);

}  // namespace oomtrace
