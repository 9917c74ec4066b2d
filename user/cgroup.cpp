#include "cgroup.hpp"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <charconv>
#include <chrono>
#include <ranges>
#include <sstream>
#include <thread>
#include <vector>

#include "fsutil.hpp"

namespace oomtrace {
namespace {

std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  for (auto part : text | std::views::split(separator))
    parts.emplace_back(part.begin(), part.end());
  return parts;
}

bool contains(const std::vector<std::string_view>& items, std::string_view item) {
  return std::ranges::find(items, item) != items.end();
}

std::optional<std::uint64_t> to_u64(std::string_view text) {
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.remove_suffix(1);
  return text;
}

// Keys of memory.stat that count events or pages moved, not bytes held.
bool is_event_counter(std::string_view key) {
  if (key.starts_with("total_")) key.remove_prefix(6);
  constexpr std::array prefixes{"pg", "workingset_", "thp_", "zswpin", "zswpout", "zswpwb",
                                "swpin_", "swpout_", "numa_"};
  for (std::string_view prefix : prefixes)
    if (key.starts_with(prefix)) return true;
  return false;
}

}  // namespace

std::map<std::string, std::uint64_t> parse_key_values(std::string_view text) {
  std::map<std::string, std::uint64_t> values;
  for (auto line : split(text, '\n')) {
    auto fields = split(trim(line), ' ');
    if (fields.size() != 2) continue;
    if (auto value = to_u64(fields[1])) values.emplace(std::string(fields[0]), *value);
  }
  return values;
}

Result<MemoryController> parse_memory_controller(std::string_view mountinfo,
                                                 std::string_view self_cgroup,
                                                 const fs::path& root) {
  std::optional<fs::path> v1_mount, v2_mount;
  for (auto line : split(mountinfo, '\n')) {
    // id parent maj:min root mountpoint options [optional...] - fstype source superoptions
    auto fields = split(line, ' ');
    auto dash = std::ranges::find(fields, std::string_view("-"));
    if (fields.size() < 5 || dash == fields.end() || std::distance(dash, fields.end()) < 4)
      continue;
    std::string_view fstype = *(dash + 1), superoptions = *(dash + 3);
    fs::path mountpoint = root.empty() ? fs::path(fields[4]) : root / fs::path(fields[4]).relative_path();
    if (fstype == "cgroup" && contains(split(superoptions, ','), "memory"))
      v1_mount = mountpoint;
    else if (fstype == "cgroup2" && !v2_mount) {
      auto controllers = read_file(mountpoint / "cgroup.controllers");
      if (controllers && contains(split(trim(*controllers), ' '), "memory"))
        v2_mount = mountpoint;
    }
  }

  // /proc/self/cgroup: "N:controllers:/path"; v2 is "0::/path".
  std::optional<std::string> v1_path, v2_path;
  for (auto line : split(self_cgroup, '\n')) {
    auto fields = split(trim(line), ':');
    if (fields.size() < 3) continue;
    std::string path(line.substr(fields[0].size() + fields[1].size() + 2));
    path = std::string(trim(path));
    if (fields[0] == "0" && fields[1].empty())
      v2_path = path;
    else if (contains(split(fields[1], ','), "memory"))
      v1_path = path;
  }

  if (v1_mount && v1_path)
    return MemoryController{CgroupVersion::v1, *v1_mount,
                            *v1_mount / fs::path(*v1_path).relative_path()};
  if (v2_mount && v2_path)
    return MemoryController{CgroupVersion::v2, *v2_mount,
                            *v2_mount / fs::path(*v2_path).relative_path()};
  return fail("no memory cgroup controller found: mount cgroup2 with the memory controller "
              "or the v1 memory hierarchy");
}

Result<MemoryController> discover_memory_controller() {
  auto mountinfo = read_file("/proc/self/mountinfo");
  if (!mountinfo) return std::unexpected(mountinfo.error());
  auto self = read_file("/proc/self/cgroup");
  if (!self) return std::unexpected(self.error());
  return parse_memory_controller(*mountinfo, *self);
}

MemoryStat map_memory_stat(CgroupVersion version, const std::map<std::string, std::uint64_t>& raw,
                           std::optional<std::uint64_t> v1_kmem_usage) {
  const auto get = [&](const char* key) -> std::uint64_t {
    auto it = raw.find(key);
    return it == raw.end() ? 0 : it->second;
  };
  MemoryStat stat;
  if (version == CgroupVersion::v2) {
    stat.anon_bytes = get("anon");
    stat.file_bytes = get("file");
    stat.shmem_bytes = get("shmem");
    stat.file_dirty_bytes = get("file_dirty");
    stat.file_writeback_bytes = get("file_writeback");
    // "kernel" is there from 5.18; before, sum its parts.
    stat.kernel_bytes = raw.contains("kernel")
                            ? get("kernel")
                            : get("kernel_stack") + get("pagetables") + get("percpu") +
                                  get("sock") + get("vmalloc") + get("slab");
    for (const auto& [key, value] : raw)
      if (!is_event_counter(key)) stat.other.emplace(key, value);
  } else {
    // v1's unprefixed keys are local to the cgroup; total_* include its descendants, as v2.
    stat.anon_bytes = get("total_rss");
    stat.file_bytes = get("total_cache");
    stat.shmem_bytes = get("total_shmem");
    stat.file_dirty_bytes = get("total_dirty");
    stat.file_writeback_bytes = get("total_writeback");
    stat.kernel_bytes = v1_kmem_usage.value_or(0);
    for (const auto& [key, value] : raw)
      if (key.starts_with("total_") && !is_event_counter(key))
        stat.other.emplace(key.substr(6), value);
      else if (key.starts_with("hierarchical_"))
        stat.other.emplace(key, value);
  }
  return stat;
}

CgroupFs::CgroupFs(MemoryController controller) : controller_(std::move(controller)) {}

const CgroupFs::Dialect& CgroupFs::dialect() const {
  static constexpr Dialect v1{"memory.usage_in_bytes", "memory.limit_in_bytes",
                              "memory.oom_control"};
  static constexpr Dialect v2{"memory.current", "memory.max", "memory.events"};
  return version() == CgroupVersion::v1 ? v1 : v2;
}

bool CgroupFs::has_memory_controller(const fs::path& dir) const {
  std::error_code ec;
  return fs::exists(dir / dialect().usage_file, ec);
}

Result<std::uint64_t> CgroupFs::usage(const fs::path& dir) const {
  auto text = read_file(dir / dialect().usage_file);
  if (!text) return std::unexpected(text.error());
  if (auto value = to_u64(trim(*text))) return *value;
  return fail("unexpected content in {}", (dir / dialect().usage_file).string());
}

Result<std::optional<std::uint64_t>> CgroupFs::limit(const fs::path& dir) const {
  auto text = read_file(dir / dialect().limit_file);
  if (!text) return std::unexpected(text.error());
  auto value_text = trim(*text);
  if (value_text == "max") return std::optional<std::uint64_t>{};
  auto value = to_u64(value_text);
  if (!value) return fail("unexpected content in {}", (dir / dialect().limit_file).string());
  // v1 shows "unlimited" as PAGE_COUNTER_MAX in bytes, rounded down to a page.
  if (*value >= (std::uint64_t{1} << 62)) return std::optional<std::uint64_t>{};
  return std::optional<std::uint64_t>{*value};
}

Result<MemoryStat> CgroupFs::stat(const fs::path& dir) const {
  auto text = read_file(dir / "memory.stat");
  if (!text) return std::unexpected(text.error());
  std::optional<std::uint64_t> kmem;
  if (version() == CgroupVersion::v1)
    if (auto kmem_text = read_file(dir / "memory.kmem.usage_in_bytes"))
      kmem = to_u64(trim(*kmem_text));
  return map_memory_stat(version(), parse_key_values(*text), kmem);
}

Result<std::uint64_t> CgroupFs::oom_kills(const fs::path& dir) const {
  auto text = read_file(dir / dialect().oom_kill_file);
  if (!text) return std::unexpected(text.error());
  auto values = parse_key_values(*text);
  auto it = values.find("oom_kill");
  return it == values.end() ? 0 : it->second;
}

Result<void> CgroupFs::create(const fs::path& dir) const {
  std::error_code ec;
  if (!fs::create_directory(dir, ec) || ec)
    return fail("cannot create cgroup {}: {}", dir.string(),
                ec ? ec.message() : std::string("it already exists"));
  if (version() == CgroupVersion::v2) {
    // The memory controller must be enabled in the parent for the child to have it.
    auto parent_control = dir.parent_path() / "cgroup.subtree_control";
    if (!has_memory_controller(dir)) {
      auto enabled = write_knob(parent_control, "+memory");
      if (!enabled) {
        fs::remove(dir, ec);
        return fail("cannot enable the memory controller in {}: {}",
                    dir.parent_path().string(), enabled.error().message);
      }
    }
  }
  return {};
}

Result<void> CgroupFs::set_limit(const fs::path& dir, std::uint64_t bytes) const {
  return write_knob(dir / dialect().limit_file, std::to_string(bytes));
}

Result<void> CgroupFs::add_process(const fs::path& dir, pid_t pid) const {
  return write_knob(dir / "cgroup.procs", std::to_string(pid));
}

Result<void> CgroupFs::set_oom_group(const fs::path& dir) const {
  if (version() == CgroupVersion::v1) return {};
  return write_knob(dir / "memory.oom.group", "1");
}

void CgroupFs::kill_members(const fs::path& dir) const {
  using namespace std::chrono_literals;
  for (int round = 0; round < 100; ++round) {
    auto procs = read_file(dir / "cgroup.procs");
    if (!procs || procs->empty()) return;
    std::istringstream pids(*procs);
    for (pid_t pid; pids >> pid;) ::kill(pid, SIGKILL);
    std::this_thread::sleep_for(10ms);
  }
}

Result<void> CgroupFs::remove(const fs::path& dir) const {
  using namespace std::chrono_literals;
  for (int attempt = 0; attempt < 100; ++attempt) {
    if (::rmdir(dir.c_str()) == 0 || errno == ENOENT) return {};
    if (errno != EBUSY) break;
    std::this_thread::sleep_for(20ms);  // a killed member is still exiting
  }
  return fail("cannot remove cgroup {}: {}", dir.string(), errno_text(errno));
}

Result<std::uint64_t> CgroupFs::id(const fs::path& dir) {
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0)
    return fail("cannot stat cgroup {}: {}", dir.string(), errno_text(errno));
  return static_cast<std::uint64_t>(st.st_ino);
}

std::string CgroupFs::relative(const fs::path& dir) const {
  auto rel = dir.lexically_relative(controller_.mount);
  if (rel.empty() || rel == ".") return "/";
  return "/" + rel.string();
}

std::optional<fs::path> CgroupFs::find_by_id(std::uint64_t id) const {
  std::error_code ec;
  if (auto root_id = CgroupFs::id(controller_.mount); root_id && *root_id == id)
    return controller_.mount;
  for (fs::recursive_directory_iterator it(controller_.mount,
                                           fs::directory_options::skip_permission_denied, ec),
       end;
       it != end; it.increment(ec)) {
    if (ec) break;
    if (!it->is_directory(ec)) continue;
    struct stat st {};
    if (::stat(it->path().c_str(), &st) == 0 && static_cast<std::uint64_t>(st.st_ino) == id)
      return it->path();
  }
  return std::nullopt;
}

}  // namespace oomtrace
