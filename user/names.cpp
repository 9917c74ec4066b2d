#include "names.hpp"

#include <fmt/format.h>

#include <ranges>

#include "fsutil.hpp"

namespace oomtrace {
namespace {

// mountinfo escapes blanks and backslashes as \ooo.
std::string unescape(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 3 < text.size()) {
      int value = 0;
      bool octal = true;
      for (std::size_t j = 1; j <= 3; ++j) {
        if (text[i + j] < '0' || text[i + j] > '7') octal = false;
        else value = value * 8 + (text[i + j] - '0');
      }
      if (octal) {
        out += static_cast<char>(value);
        i += 3;
        continue;
      }
    }
    out += text[i];
  }
  return out;
}

}  // namespace

std::string dev_string(std::uint32_t kernel_dev) {
  return fmt::format("{}:{}", kernel_dev >> 20, kernel_dev & ((1u << 20) - 1));
}

MountTable MountTable::parse(std::string_view mountinfo) {
  MountTable table;
  for (auto line_range : mountinfo | std::views::split('\n')) {
    std::string_view line(line_range.begin(), line_range.end());
    std::vector<std::string_view> fields;
    for (auto field : line | std::views::split(' ')) fields.emplace_back(field.begin(), field.end());
    if (fields.size() < 5) continue;
    Mount mount{unescape(fields[3]), unescape(fields[4])};
    auto [it, inserted] = table.by_dev_.emplace(std::string(fields[2]), mount);
    if (!inserted && mount.mountpoint.size() < it->second.mountpoint.size()) it->second = mount;
  }
  return table;
}

MountTable MountTable::load() {
  auto text = read_file("/proc/self/mountinfo");
  return parse(text ? *text : std::string());
}

std::optional<Mount> MountTable::find(std::uint32_t kernel_dev) const {
  auto it = by_dev_.find(dev_string(kernel_dev));
  if (it == by_dev_.end()) return std::nullopt;
  return it->second;
}

std::string anonymous_name(std::uint32_t kernel_dev, std::uint64_t ino) {
  return fmt::format("dev {} inode {}", dev_string(kernel_dev), ino);
}

std::string name_from_event(const MountTable& mounts, const oomtrace_name_event& event) {
  const std::uint32_t depth = std::min<std::uint32_t>(event.depth, OOMTRACE_NAME_DEPTH);
  if (depth == 0) {
    auto name = anonymous_name(event.dev, event.ino);
    return event.unlinked ? name + " (deleted)" : name;
  }
  std::string relative;  // below the filesystem root, with a leading '/'
  for (std::uint32_t i = depth; i-- > 0;) {
    const char* component = event.names[i];
    relative += '/';
    relative.append(component, strnlen(component, OOMTRACE_NAME_COMPONENT_LEN));
  }
  if (event.truncated) relative = "/..." + relative;

  auto mount = mounts.find(event.dev);
  if (!mount) return relative + " (deleted)";  // the kernel's internal shm mount

  std::string path = relative;
  if (mount->root != "/" && path.starts_with(mount->root)) path = path.substr(mount->root.size());
  if (mount->mountpoint != "/") path = mount->mountpoint + path;
  return event.unlinked ? path + " (deleted)" : path;
}

}  // namespace oomtrace
