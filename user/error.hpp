// Errors as values: every fallible step returns Result<T>; the edge (main) turns an Error
// into one line on stderr and an exit status.
#pragma once

#include <cerrno>
#include <cstring>
#include <expected>
#include <string>
#include <utility>

#include <fmt/format.h>

namespace oomtrace {

// Documented exit statuses (README "Exit status").
enum class ExitCode : int {
  ok = 0,
  failure = 1,      // tracing cannot run, or a runtime failure
  usage = 2,        // bad command line: flag, SIZE, missing CMD, bad --parent
  bad_input = 3,    // `report` was given a file that is not a complete oomtrace report
};

struct Error {
  std::string message;  // one line: what failed and what to do
  ExitCode exit_code = ExitCode::failure;
};

template <typename T = void>
using Result = std::expected<T, Error>;

template <typename... Args>
[[nodiscard]] std::unexpected<Error> fail(fmt::format_string<Args...> format, Args&&... args) {
  return std::unexpected(Error{fmt::format(format, std::forward<Args>(args)...)});
}

template <typename... Args>
[[nodiscard]] std::unexpected<Error> fail(ExitCode code, fmt::format_string<Args...> format,
                                          Args&&... args) {
  return std::unexpected(Error{fmt::format(format, std::forward<Args>(args)...), code});
}

// strerror for an errno value; libbpf returns -errno, so the sign is ignored.
inline std::string errno_text(int err) { return std::strerror(err < 0 ? -err : err); }

}  // namespace oomtrace
