// What the running kernel can do, probed by loading and attaching (never by version), and
// the tier chosen from it. Features is an interface so tests can fake a kernel.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "cgroup.hpp"
#include "error.hpp"

namespace oomtrace {

enum class Feature { btf, privileges, bpffs, tracefs, ringbuf, tp_btf, raw_tp, fentry, kprobe };
std::string_view feature_name(Feature feature);
inline constexpr Feature all_features[] = {Feature::btf,     Feature::privileges, Feature::bpffs,
                                           Feature::tracefs, Feature::ringbuf,    Feature::tp_btf,
                                           Feature::raw_tp,  Feature::fentry,     Feature::kprobe};

struct Check {
  Check() = default;
  Check(bool ok, std::string detail, std::string program = {})
      : ok(ok), detail(std::move(detail)), program(std::move(program)) {}
  bool ok = false;
  std::string detail;   // what was found, or why not (with the fix where there is one)
  std::string program;  // the program that loaded, for a hook with more than one
};

// One BPF program of the tracer and the kernel hook it needs.
struct HookSpec {
  const char* program;     // name in the skeleton
  const char* group;       // tracepoint group, for display ("oom")
  const char* tracepoint;  // btf_trace_<tracepoint> in vmlinux BTF
  const char* purpose;
  bool required;           // tracing cannot run without it
  // The same hook with probe reads where the program uses bpf_rdonly_cast (6.2+): loaded
  // when the kernel refuses the program.
  const char* fallback = nullptr;
};
std::span<const HookSpec> tracer_hooks();

// The function tier: a kernel function that stands in for a missing tracepoint program,
// through fentry (preferred) or a kprobe.
enum class Attach { fentry, kprobe };
std::string_view attach_name(Attach attach);
struct FunctionHookSpec {
  const char* function;
  const char* fentry_program;
  const char* kprobe_program;
  const char* replaces;  // the tracepoint program it stands in for
};
std::span<const FunctionHookSpec> function_hooks();

// oom:mark_victim carries (int pid) up to 6.8 and (task_struct *, uid) from 6.9 on.
enum class MarkVictimShape { missing, pid_only, task };

class Features {
 public:
  virtual ~Features() = default;
  virtual Check probe(Feature feature) = 0;
  // The hook loads and attaches with its program.
  virtual Check probe_hook(const HookSpec& hook) = 0;
  // The function is there (BTF for fentry, kallsyms for kprobe) and the program attaches.
  virtual Check probe_function_hook(const FunctionHookSpec& hook, Attach attach) = 0;
  virtual MarkVictimShape mark_victim_shape() = 0;
  virtual Result<MemoryController> memory_controller() = 0;
};

// The real kernel. Results are cached; probes that mount (bpffs, tracefs) say so in detail.
class KernelFeatures final : public Features {
 public:
  Check probe(Feature feature) override;
  Check probe_hook(const HookSpec& hook) override;
  Check probe_function_hook(const FunctionHookSpec& hook, Attach attach) override;
  MarkVictimShape mark_victim_shape() override;
  Result<MemoryController> memory_controller() override;

 private:
  Check run_probe(Feature feature);
  bool in_kallsyms(std::string_view function);
  std::map<Feature, Check> probes_;
  std::map<std::string, Check> hooks_;
  std::optional<std::set<std::string>> kallsyms_;
  std::optional<MarkVictimShape> mark_victim_shape_;
};

enum class Tier { tracepoint, kprobe, fentry };
std::string_view tier_name(Tier tier);

struct TierChoice {
  bool can_trace = false;
  Tier tier = Tier::tracepoint;
  std::string blocker;             // when !can_trace: the reason and the fix, one line
  std::vector<std::string> notes;  // what is degraded and why
  std::vector<std::string> programs;  // the tracer programs to load
};

// Pure decision from probe results.
TierChoice choose_tier(Features& features);

}  // namespace oomtrace
