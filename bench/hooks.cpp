// The benchmark's floor: attaches an empty BPF program to each tracepoint named on the command
// line (bench/run.py passes the ones `oomtrace watch` attached), says so, and holds them until
// SIGINT or SIGTERM.
//   hooks TRACEPOINT...
#include <signal.h>

#include <cstdio>
#include <utility>
#include <vector>

#include "bpf_handles.hpp"
#include "hooks_bpf.skel.h"

using namespace oomtrace;

namespace {

struct Hooks {
  Skeleton<hooks_bpf> skeleton;
  std::vector<Link> links;
};

Result<Hooks> attach_all(int count, char** tracepoints) {
  auto skeleton = Skeleton<hooks_bpf>::open();
  if (!skeleton) return std::unexpected(skeleton.error());
  if (auto loaded = skeleton->load(); !loaded) return std::unexpected(loaded.error());
  Hooks hooks{std::move(*skeleton), {}};
  for (int i = 0; i < count; ++i) {
    bpf_link* link = bpf_program__attach_raw_tracepoint(hooks.skeleton->progs.empty, tracepoints[i]);
    if (!link) return fail("cannot attach to {}: {}", tracepoints[i], errno_text(errno));
    hooks.links.emplace_back(link);
  }
  return hooks;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: hooks TRACEPOINT...\n");
    return 2;
  }
  // Blocked before anything is attached, so that a signal only ever ends the wait below.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  sigprocmask(SIG_BLOCK, &stop, nullptr);

  auto hooks = attach_all(argc - 1, argv + 1);
  if (!hooks) {
    std::fprintf(stderr, "hooks: %s\n", hooks.error().message.c_str());
    return 1;
  }
  std::printf("hooks: attached to %zu tracepoints\n", hooks->links.size());
  std::fflush(stdout);
  int signal = 0;
  sigwait(&stop, &signal);
  return 0;
}
