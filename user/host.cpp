#include "host.hpp"

#include <signal.h>
#include <sys/utsname.h>
#include <time.h>

#include <cerrno>
#include <fmt/chrono.h>
#include <fmt/format.h>
#include <fstream>

namespace oomtrace {

std::string kernel_release() {
  utsname name{};
  return ::uname(&name) == 0 ? name.release : "unknown";
}

std::uint64_t swap_total_bytes() {
  std::ifstream in("/proc/meminfo");
  std::string key;
  std::uint64_t kb = 0;
  std::string unit;
  while (in >> key >> kb >> unit)
    if (key == "SwapTotal:") return kb * 1024;
  return 0;
}

namespace {

std::string utc_format(WallClock::time_point time, bool compact) {
  auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch());
  std::time_t seconds = static_cast<std::time_t>(millis.count() / 1000);
  std::tm utc{};
  ::gmtime_r(&seconds, &utc);
  const int ms = static_cast<int>(millis.count() % 1000);
  if (compact) return fmt::format("{:%Y%m%dT%H%M%S}.{:03d}Z", utc, ms);
  return fmt::format("{:%Y-%m-%dT%H:%M:%S}.{:03d}Z", utc, ms);
}

}  // namespace

std::string iso_time(WallClock::time_point time) { return utc_format(time, false); }
std::string compact_time(WallClock::time_point time) { return utc_format(time, true); }

std::uint64_t boot_ns_now() {
  timespec now{};
  ::clock_gettime(CLOCK_BOOTTIME, &now);
  return static_cast<std::uint64_t>(now.tv_sec) * 1'000'000'000ull +
         static_cast<std::uint64_t>(now.tv_nsec);
}

WallClock::time_point boot_ns_to_wall(std::uint64_t boot_ns) {
  const std::uint64_t now = boot_ns_now();
  const auto age = std::chrono::nanoseconds(now > boot_ns ? now - boot_ns : 0);
  return WallClock::now() - std::chrono::duration_cast<WallClock::duration>(age);
}

bool process_alive(pid_t pid) { return ::kill(pid, 0) == 0 || errno == EPERM; }

}  // namespace oomtrace
