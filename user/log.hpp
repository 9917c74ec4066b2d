#pragma once

namespace oomtrace {

// spdlog to stderr at info (warn with verbosity < 0), debug with -v, trace with -vv; libbpf's
// own messages are routed through it (its debug output only with -vv).
void setup_logging(int verbosity);

}  // namespace oomtrace

namespace oomtrace {

// While one lives, libbpf's warnings are logged at debug: probes that are expected to fail
// (fentry on a kernel that refuses it) should not alarm the user.
class LibbpfQuiet {
 public:
  LibbpfQuiet();
  ~LibbpfQuiet();
  LibbpfQuiet(const LibbpfQuiet&) = delete;
  LibbpfQuiet& operator=(const LibbpfQuiet&) = delete;
};

}  // namespace oomtrace
