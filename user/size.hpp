#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "error.hpp"

namespace oomtrace {

// SIZE as the contract has it: bytes, or a number with K/M/G/T (binary) and an optional
// "iB"/"B". Rejected with ExitCode::usage.
[[nodiscard]] Result<std::uint64_t> parse_size(std::string_view text);

// 1536 -> "1.5 KiB"; for the text report.
std::string format_bytes(std::uint64_t bytes);

}  // namespace oomtrace
