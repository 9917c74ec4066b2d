#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "error.hpp"

namespace oomtrace {

[[nodiscard]] Result<std::string> read_file(const std::filesystem::path& path);
// Writes into an existing file (cgroup and sysfs knobs): no create, no truncate dance.
[[nodiscard]] Result<void> write_knob(const std::filesystem::path& path, std::string_view text);
// Writes to PATH.tmp.PID in the same directory, fsyncs, then renames over PATH, so a reader
// never sees half a report.
[[nodiscard]] Result<void> write_atomically(const std::filesystem::path& path,
                                            std::string_view content);

}  // namespace oomtrace
