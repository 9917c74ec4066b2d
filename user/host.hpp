// Facts about the host and its clocks that reports carry.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <string>

namespace oomtrace {

using WallClock = std::chrono::system_clock;

std::string kernel_release();        // uname -r
std::uint64_t swap_total_bytes();    // SwapTotal of /proc/meminfo
std::string iso_time(WallClock::time_point time);      // 2026-12-03T10:20:13.123Z
std::string compact_time(WallClock::time_point time);  // 20261203T102013.123Z
// A bpf_ktime_get_boot_ns() stamp on the wall clock.
WallClock::time_point boot_ns_to_wall(std::uint64_t boot_ns);
std::uint64_t boot_ns_now();
bool process_alive(pid_t pid);

}  // namespace oomtrace
