#include "features.hpp"

#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <linux/capability.h>
#include <sys/mount.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <fmt/ranges.h>
#include <fstream>
#include <limits>
#include <map>
#include <spdlog/spdlog.h>

#include "bpf_handles.hpp"
#include "log.hpp"
#include "oomtrace_probes.skel.h"
#include "tracer.hpp"

namespace oomtrace {
namespace {

constexpr long kBpfFsMagic = 0xcafe4a11;
constexpr long kTraceFsMagic = 0x74726163;

// The tracer's programs, in the order doctor lists them. mark_victim has two programs, one
// per shape; probe_hook() picks the one that matches this kernel.
constexpr std::array kHooks{
    HookSpec{"handle_mark_victim", "oom", "mark_victim", "OOM victims and the cgroup whose limit was hit",
             true},
    HookSpec{"handle_filemap_add", "filemap", "mm_filemap_add_to_page_cache", "page cache per file", false,
             "handle_filemap_add_probe_read"},
    HookSpec{"handle_filemap_delete", "filemap", "mm_filemap_delete_from_page_cache",
             "page cache and shmem removals", false, "handle_filemap_delete_probe_read"},
    HookSpec{"handle_lru_insertion", "pagemap", "mm_lru_insertion", "shmem per object", false,
             "handle_lru_insertion_probe_read"},
    HookSpec{"handle_rss_stat", "kmem", "rss_stat", "anon per process", false},
    HookSpec{"handle_mod_memcg_state", "memcg", "mod_memcg_state", "kernel memory per process", false},
    HookSpec{"handle_sched_process_exec", "sched", "sched_process_exec", "process names after exec",
             false},
};

constexpr std::array kFunctionHooks{
    FunctionHookSpec{"__mod_memcg_state", "handle_memcg_state_fentry", "handle_memcg_state_kprobe",
                     "handle_mod_memcg_state"},
};

// One tracer program, loaded and attached alone.
Check tracer_program_check(const std::string& program) {
  auto loaded = probe_tracer_program(program);
  if (!loaded) return {false, loaded.error().message};
  return {true, fmt::format("{} loads and attaches", program), program};
}

// Loads and attaches one program of the probes object, with every other one left out.
Check probe_program(const char* name, const char* what) {
  auto skel = Skeleton<oomtrace_probes>::open();
  if (!skel) return {false, skel.error().message};
  bpf_program* wanted = nullptr;
  bpf_program* program = nullptr;
  bpf_object__for_each_program(program, (*skel)->obj) {
    bool match = std::string_view(bpf_program__name(program)) == name;
    bpf_program__set_autoload(program, match);
    if (match) wanted = program;
  }
  if (!wanted) return {false, fmt::format("no probe program {}", name)};
  LibbpfQuiet quiet;
  if (auto loaded = skel->load(); !loaded)
    return {false, fmt::format("{} programs are refused by this kernel: {}", what,
                               errno_text(errno))};
  if (bpf_link* link = bpf_program__attach(wanted); link) {
    bpf_link__destroy(link);
    return {true, fmt::format("{} loads and attaches", what)};
  }
  const int err = errno;
  if (err == ENOENT && std::string_view(what) == "kprobe" && ::access("/sys/bus/event_source/devices/kprobe", F_OK) != 0)
    return {false, "kprobes are not built into this kernel (no kprobe PMU: CONFIG_KPROBES is off)"};
  return {false, fmt::format("{} programs load but cannot attach: {}", what, errno_text(err))};
}

Check mount_check(const char* path, long magic, const char* fstype, const char* source) {
  struct statfs st {};
  if (::statfs(path, &st) == 0 && st.f_type == magic) return {true, fmt::format("{} mounted", path)};
  if (::mount(source, path, fstype, 0, nullptr) == 0)
    return {true, fmt::format("{} was not mounted: mounted it now", path)};
  return {false, fmt::format("{} not mounted and mounting failed ({}): mount -t {} {} {}", path,
                             errno_text(errno), fstype, source, path)};
}

bool has_capability(int cap) {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  std::array<__user_cap_data_struct, 2> data{};
  if (::syscall(SYS_capget, &header, data.data()) != 0) return false;
  return (data[cap / 32].effective >> (cap % 32)) & 1;
}

}  // namespace

std::string_view feature_name(Feature feature) {
  switch (feature) {
    case Feature::btf: return "btf";
    case Feature::privileges: return "privileges";
    case Feature::bpffs: return "bpffs";
    case Feature::tracefs: return "tracefs";
    case Feature::ringbuf: return "ringbuf";
    case Feature::tp_btf: return "tp_btf";
    case Feature::raw_tp: return "raw_tp";
    case Feature::fentry: return "fentry";
    case Feature::kprobe: return "kprobe";
  }
  return "?";
}

std::string_view tier_name(Tier tier) {
  switch (tier) {
    case Tier::tracepoint: return "tracepoint";
    case Tier::kprobe: return "kprobe";
    case Tier::fentry: return "fentry";
  }
  return "?";
}

std::span<const HookSpec> tracer_hooks() { return kHooks; }
std::span<const FunctionHookSpec> function_hooks() { return kFunctionHooks; }

std::string_view attach_name(Attach attach) { return attach == Attach::fentry ? "fentry" : "kprobe"; }

Check KernelFeatures::probe(Feature feature) {
  if (auto it = probes_.find(feature); it != probes_.end()) return it->second;
  return probes_[feature] = run_probe(feature);
}

Check KernelFeatures::run_probe(Feature feature) {
  switch (feature) {
    case Feature::btf: {
      if (::access("/sys/kernel/btf/vmlinux", R_OK) != 0)
        return {false, "no /sys/kernel/btf/vmlinux: the kernel needs CONFIG_DEBUG_INFO_BTF=y"};
      Btf vmlinux(btf__load_vmlinux_btf());
      if (!vmlinux) return {false, fmt::format("cannot parse vmlinux BTF: {}", errno_text(errno))};
      return {true, "/sys/kernel/btf/vmlinux"};
    }
    case Feature::privileges: {
      constexpr int kCapPerfmon = 38, kCapBpf = 39;
      if (::geteuid() == 0 && has_capability(CAP_SYS_ADMIN)) return {true, "root"};
      if (has_capability(CAP_SYS_ADMIN) && has_capability(kCapBpf) && has_capability(kCapPerfmon))
        return {true, "CAP_BPF, CAP_PERFMON and CAP_SYS_ADMIN"};
      return {false, "needs root (or CAP_BPF, CAP_PERFMON and CAP_SYS_ADMIN): run with sudo"};
    }
    case Feature::bpffs: return mount_check("/sys/fs/bpf", kBpfFsMagic, "bpf", "bpf");
    case Feature::tracefs:
      return mount_check("/sys/kernel/tracing", kTraceFsMagic, "tracefs", "nodev");
    case Feature::ringbuf:
      if (libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, nullptr) == 1)
        return {true, "BPF ring buffer maps are supported"};
      return {false, "no BPF ring buffer: the kernel is older than 5.8"};
    case Feature::tp_btf: return probe_program("probe_tp_btf", "tp_btf");
    case Feature::raw_tp: return probe_program("probe_raw_tp", "raw_tp");
    case Feature::fentry: return probe_program("probe_fentry", "fentry");
    case Feature::kprobe: return probe_program("probe_kprobe", "kprobe");
  }
  return {false, "unknown feature"};
}

MarkVictimShape KernelFeatures::mark_victim_shape() {
  if (mark_victim_shape_) return *mark_victim_shape_;
  Btf vmlinux(btf__load_vmlinux_btf());
  MarkVictimShape shape = MarkVictimShape::missing;
  if (vmlinux) {
    int id = btf__find_by_name_kind(vmlinux.get(), "btf_trace_mark_victim", BTF_KIND_TYPEDEF);
    // typedef -> pointer -> func_proto(void *, ...): the first parameter is the tracepoint's data.
    const btf_type* type = id > 0 ? btf__type_by_id(vmlinux.get(), id) : nullptr;
    if (type) type = btf__type_by_id(vmlinux.get(), type->type);
    if (type && btf_is_ptr(type)) type = btf__type_by_id(vmlinux.get(), type->type);
    if (type && btf_is_func_proto(type))
      shape = btf_vlen(type) >= 3 ? MarkVictimShape::task : MarkVictimShape::pid_only;
  }
  return *(mark_victim_shape_ = shape);
}

Check KernelFeatures::probe_hook(const HookSpec& hook) {
  if (auto it = hooks_.find(hook.program); it != hooks_.end()) return it->second;
  Check check;
  Btf vmlinux(btf__load_vmlinux_btf());
  auto typedef_name = fmt::format("btf_trace_{}", hook.tracepoint);
  if (!vmlinux || btf__find_by_name_kind(vmlinux.get(), typedef_name.c_str(), BTF_KIND_TYPEDEF) < 0) {
    check = {false, fmt::format("tracepoint {} is not in this kernel", hook.tracepoint)};
  } else {
    std::string program = hook.program;
    if (program == "handle_mark_victim" && mark_victim_shape() == MarkVictimShape::pid_only)
      program = "handle_mark_victim_pid";
    check = tracer_program_check(program);
    if (!check.ok && hook.fallback) {
      spdlog::debug("{}: {}; trying {}", program, check.detail, hook.fallback);
      if (Check fallback = tracer_program_check(hook.fallback); fallback.ok) check = fallback;
    }
  }
  return hooks_[hook.program] = check;
}

bool KernelFeatures::in_kallsyms(std::string_view function) {
  if (!kallsyms_) {
    kallsyms_.emplace();
    std::ifstream in("/proc/kallsyms");
    std::string address, type, name;
    while (in >> address >> type >> name) {
      if (type == "t" || type == "T") kallsyms_->insert(name);
      in.ignore(std::numeric_limits<std::streamsize>::max(), '\n');
    }
  }
  return kallsyms_->contains(std::string(function));
}

Check KernelFeatures::probe_function_hook(const FunctionHookSpec& hook, Attach attach) {
  const char* program = attach == Attach::fentry ? hook.fentry_program : hook.kprobe_program;
  if (auto it = hooks_.find(program); it != hooks_.end()) return it->second;
  Check check;
  if (auto feature = probe(attach == Attach::fentry ? Feature::fentry : Feature::kprobe); !feature.ok) {
    check = {false, feature.detail};
  } else if (attach == Attach::fentry) {
    Btf vmlinux(btf__load_vmlinux_btf());
    if (!vmlinux || btf__find_by_name_kind(vmlinux.get(), hook.function, BTF_KIND_FUNC) < 0)
      check = {false, fmt::format("{} is not a function in this kernel's BTF", hook.function)};
  } else if (!in_kallsyms(hook.function)) {
    check = {false, fmt::format("{} is not in /proc/kallsyms (inlined on this kernel)", hook.function)};
  }
  if (check.detail.empty()) check = tracer_program_check(program);
  return hooks_[program] = check;
}

Result<MemoryController> KernelFeatures::memory_controller() { return discover_memory_controller(); }

TierChoice choose_tier(Features& features) {
  TierChoice choice;
  for (Feature required : {Feature::privileges, Feature::btf, Feature::ringbuf, Feature::tp_btf}) {
    if (auto check = features.probe(required); !check.ok) {
      choice.blocker = fmt::format("{}: {}", feature_name(required), check.detail);
      return choice;
    }
  }
  auto shape = features.mark_victim_shape();
  std::vector<std::string> probe_read_twins;
  // Each missing optional hook by program, with its note: a stand-in below rewrites the note.
  struct MissingHook {
    std::size_t note;
    const HookSpec* hook;
    std::string why;
  };
  std::map<std::string, MissingHook> missing;
  for (const HookSpec& hook : tracer_hooks()) {
    auto check = features.probe_hook(hook);
    if (!check.ok) {
      if (hook.required) {
        choice.blocker = fmt::format("{}: {}", hook.tracepoint, check.detail);
        return choice;
      }
      missing[hook.program] = {choice.notes.size(), &hook, check.detail};
      choice.notes.push_back(fmt::format("no {} ({}): {}", hook.purpose, hook.tracepoint,
                                         check.detail));
      continue;
    }
    std::string program = check.program.empty() ? hook.program : check.program;
    if (hook.fallback && program == hook.fallback) probe_read_twins.push_back(program);
    if (std::string_view(hook.program) == "handle_mark_victim" && shape == MarkVictimShape::pid_only) {
      program = "handle_mark_victim_pid";
      choice.notes.push_back(
          "oom:mark_victim carries only the pid on this kernel: the victim is completed from "
          "/proc");
    }
    choice.programs.push_back(program);
  }
  if (!probe_read_twins.empty())
    choice.notes.push_back(fmt::format("no bpf_rdonly_cast on this kernel (6.2+): {} read the memcg "
                                       "with bpf_probe_read_kernel",
                                       fmt::join(probe_read_twins, ", ")));
  if (auto controller = features.memory_controller(); !controller) {
    choice.blocker = controller.error().message;
    return choice;
  }
  choice.can_trace = true;
  choice.tier = Tier::tracepoint;

  // Where a tracepoint program is missing, a function hook takes its place: fentry first.
  for (Attach attach : {Attach::fentry, Attach::kprobe}) {
    for (const FunctionHookSpec& hook : function_hooks()) {
      auto note = missing.find(hook.replaces);
      if (note == missing.end() || !features.probe_function_hook(hook, attach).ok) continue;
      choice.programs.push_back(attach == Attach::fentry ? hook.fentry_program : hook.kprobe_program);
      if (choice.tier == Tier::tracepoint) choice.tier = attach == Attach::fentry ? Tier::fentry : Tier::kprobe;
      const MissingHook& gap = note->second;
      choice.notes[gap.note] = fmt::format("{} through {} ({}) in place of {}: {}", gap.hook->purpose,
                                           hook.function, attach_name(attach), gap.hook->tracepoint, gap.why);
      missing.erase(note);
    }
  }
  return choice;
}

}  // namespace oomtrace
