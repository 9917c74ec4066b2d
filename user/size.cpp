#include "size.hpp"

#include <array>
#include <cctype>
#include <charconv>
#include <limits>

namespace oomtrace {

Result<std::uint64_t> parse_size(std::string_view text) {
  const auto usage_error = [&] {
    return fail(ExitCode::usage, "invalid SIZE '{}': use bytes or a number with K, M, G or T "
                                 "(e.g. 512M, 1GiB)", text);
  };
  std::uint64_t number = 0;
  const char* end = text.data() + text.size();
  auto [rest, ec] = std::from_chars(text.data(), end, number);
  if (ec != std::errc{} || rest == text.data()) return usage_error();

  std::string_view suffix(rest, static_cast<std::size_t>(end - rest));
  unsigned shift = 0;
  if (!suffix.empty()) {
    constexpr std::string_view letters = "KMGT";
    const auto unit = letters.find(static_cast<char>(std::toupper(suffix.front())));
    if (unit != std::string_view::npos) {
      shift = 10 * static_cast<unsigned>(unit + 1);
      suffix.remove_prefix(1);
      if (suffix.size() == 2 && suffix.front() == 'i') suffix.remove_prefix(1);
    }
    if (!(suffix.empty() || suffix == "B")) return usage_error();
  }
  if (shift != 0 && number > (std::numeric_limits<std::uint64_t>::max() >> shift))
    return fail(ExitCode::usage, "SIZE '{}' is too large", text);
  return number << shift;
}

std::string format_bytes(std::uint64_t bytes) {
  static constexpr std::array units{"B", "KiB", "MiB", "GiB", "TiB"};
  double value = static_cast<double>(bytes);
  std::size_t unit = 0;
  while (value >= 1024.0 && unit + 1 < units.size()) {
    value /= 1024.0;
    ++unit;
  }
  if (unit == 0) return fmt::format("{} B", bytes);
  return fmt::format("{:.1f} {}", value, units[unit]);
}

}  // namespace oomtrace
