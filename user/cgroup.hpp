// The memory cgroup, v1 or v2, behind one interface. The two versions differ only in file
// and key names, so one implementation reads both through a Dialect table.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "error.hpp"

namespace oomtrace {

namespace fs = std::filesystem;

enum class CgroupVersion { v1 = 1, v2 = 2 };

// Where the memory controller is mounted, and the caller's own cgroup in it.
struct MemoryController {
  CgroupVersion version = CgroupVersion::v2;
  fs::path mount;  // /sys/fs/cgroup/memory (v1) or /sys/fs/cgroup (v2)
  fs::path self;   // absolute dir of the caller's memory cgroup
};

// From the texts of /proc/self/mountinfo and /proc/self/cgroup. `root` is prefixed to every
// mount point (a fixture tree in tests, "" on a real system).
[[nodiscard]] Result<MemoryController> parse_memory_controller(std::string_view mountinfo,
                                                               std::string_view self_cgroup,
                                                               const fs::path& root = {});
[[nodiscard]] Result<MemoryController> discover_memory_controller();

// One model for memory.stat of either version, in bytes.
struct MemoryStat {
  std::uint64_t anon_bytes = 0;
  std::uint64_t file_bytes = 0;  // page cache, shmem included (as the kernel counts it)
  std::uint64_t shmem_bytes = 0;
  std::uint64_t file_dirty_bytes = 0;
  std::uint64_t file_writeback_bytes = 0;
  std::uint64_t kernel_bytes = 0;
  std::map<std::string, std::uint64_t> other;  // remaining byte-valued items, by kernel name
};

// Maps raw memory.stat keys to the model. v1 is read from its hierarchical total_* keys.
MemoryStat map_memory_stat(CgroupVersion version,
                           const std::map<std::string, std::uint64_t>& raw,
                           std::optional<std::uint64_t> v1_kmem_usage);

// "key value" lines, as in memory.stat, memory.events and memory.oom_control.
std::map<std::string, std::uint64_t> parse_key_values(std::string_view text);

class CgroupFs {
 public:
  explicit CgroupFs(MemoryController controller);

  const MemoryController& controller() const { return controller_; }
  CgroupVersion version() const { return controller_.version; }

  [[nodiscard]] bool has_memory_controller(const fs::path& dir) const;
  [[nodiscard]] Result<std::uint64_t> usage(const fs::path& dir) const;
  // nullopt when unlimited.
  [[nodiscard]] Result<std::optional<std::uint64_t>> limit(const fs::path& dir) const;
  [[nodiscard]] Result<MemoryStat> stat(const fs::path& dir) const;
  // OOM kills counted in this cgroup (v2 memory.events oom_kill, v1 oom_control oom_kill).
  [[nodiscard]] Result<std::uint64_t> oom_kills(const fs::path& dir) const;

  [[nodiscard]] Result<void> create(const fs::path& dir) const;
  [[nodiscard]] Result<void> set_limit(const fs::path& dir, std::uint64_t bytes) const;
  [[nodiscard]] Result<void> add_process(const fs::path& dir, pid_t pid) const;
  // On v2, members of a kill are killed together (memory.oom.group).
  [[nodiscard]] Result<void> set_oom_group(const fs::path& dir) const;
  // SIGKILLs every member until none is left (bounded): what is left of a job, or a test.
  void kill_members(const fs::path& dir) const;
  // Waits briefly for exiting members to leave, then rmdir.
  [[nodiscard]] Result<void> remove(const fs::path& dir) const;

  // The id BPF sees (memcg->css.cgroup->kn->id): the inode of the cgroup directory.
  [[nodiscard]] static Result<std::uint64_t> id(const fs::path& dir);
  // The path below the mount, "/" for the root: how reports name a cgroup.
  std::string relative(const fs::path& dir) const;
  // Finds a cgroup directory by id under the mount; nullopt when it is gone.
  std::optional<fs::path> find_by_id(std::uint64_t id) const;

 private:
  struct Dialect {
    const char* usage_file;
    const char* limit_file;
    const char* oom_kill_file;
  };
  const Dialect& dialect() const;

  MemoryController controller_;
};

}  // namespace oomtrace
