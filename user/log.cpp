#include "log.hpp"

#include <bpf/libbpf.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <cstdarg>
#include <cstdio>
#include <string>

namespace oomtrace {
namespace {

std::atomic<int> quiet_depth{0};

int libbpf_to_spdlog(enum libbpf_print_level level, const char* format, va_list args) {
  // The verifier log comes as one message of many lines: size it first.
  va_list copy;
  va_copy(copy, args);
  int written = std::vsnprintf(nullptr, 0, format, copy);
  va_end(copy);
  if (written < 0) return written;
  std::string text(static_cast<std::size_t>(written) + 1, '\0');
  std::vsnprintf(text.data(), text.size(), format, args);
  text.resize(static_cast<std::size_t>(written));
  while (!text.empty() && text.back() == '\n') text.pop_back();
  switch (level) {
    case LIBBPF_WARN:
      if (quiet_depth.load() > 0)
        spdlog::debug("libbpf: {}", text);
      else
        spdlog::warn("libbpf: {}", text);
      break;
    case LIBBPF_INFO: spdlog::debug("libbpf: {}", text); break;
    case LIBBPF_DEBUG: spdlog::trace("libbpf: {}", text); break;
  }
  return written;
}

}  // namespace

void setup_logging(int verbosity) {
  auto logger = spdlog::stderr_color_mt("oomtrace");
  logger->set_pattern("%^%l%$: %v");
  spdlog::set_default_logger(logger);
  spdlog::set_level(verbosity >= 2   ? spdlog::level::trace
                    : verbosity == 1 ? spdlog::level::debug
                                     : spdlog::level::info);
  libbpf_set_print(libbpf_to_spdlog);
}

}  // namespace oomtrace

namespace oomtrace {

LibbpfQuiet::LibbpfQuiet() { ++quiet_depth; }
LibbpfQuiet::~LibbpfQuiet() { --quiet_depth; }

}  // namespace oomtrace
