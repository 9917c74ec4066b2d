// doctor's and the tier choice's decisions on faked kernels.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <set>

#include "doctor.hpp"
#include "features.hpp"

namespace oomtrace {
namespace {

// A kernel described by what it lacks.
class FakeFeatures final : public Features {
 public:
  std::set<Feature> missing;
  std::set<std::string> missing_tracepoints;
  MarkVictimShape shape = MarkVictimShape::task;
  bool has_controller = true;
  bool rdonly_cast = true;  // bpf_rdonly_cast, 6.2+
  std::set<std::string> functions{"__mod_memcg_state"};

  Check probe(Feature feature) override {
    if (missing.contains(feature)) return {false, fmt::format("fake: no {}", feature_name(feature))};
    return {true, "fake"};
  }
  Check probe_hook(const HookSpec& hook) override {
    if (missing_tracepoints.contains(hook.tracepoint) ||
        (std::string_view(hook.tracepoint) == "mark_victim" && shape == MarkVictimShape::missing))
      return {false, fmt::format("tracepoint {} is not in this kernel", hook.tracepoint)};
    if (hook.fallback && !rdonly_cast) return {true, "fake", hook.fallback};
    return {true, "fake"};
  }
  Check probe_function_hook(const FunctionHookSpec& hook, Attach attach) override {
    if (missing.contains(attach == Attach::fentry ? Feature::fentry : Feature::kprobe))
      return {false, "fake: attach refused"};
    if (!functions.contains(hook.function)) return {false, "fake: no such function"};
    return {true, "fake"};
  }
  MarkVictimShape mark_victim_shape() override { return shape; }
  Result<MemoryController> memory_controller() override {
    if (!has_controller) return fail("no memory cgroup controller found");
    return MemoryController{CgroupVersion::v1, "/sys/fs/cgroup/memory", "/sys/fs/cgroup/memory/x"};
  }
};

TEST(ChooseTier, FullTracepointKernelUsesEveryProgram) {
  FakeFeatures kernel;
  kernel.missing = {Feature::fentry, Feature::kprobe};  // the lab's 6.18 host
  TierChoice choice = choose_tier(kernel);
  ASSERT_TRUE(choice.can_trace) << choice.blocker;
  EXPECT_EQ(choice.tier, Tier::tracepoint);
  EXPECT_EQ(choice.programs.size(), tracer_hooks().size());
  EXPECT_EQ(choice.programs.front(), "handle_mark_victim");
  EXPECT_TRUE(choice.notes.empty());
}

TEST(ChooseTier, PidOnlyMarkVictimSelectsThePidProgram) {
  FakeFeatures kernel;
  kernel.shape = MarkVictimShape::pid_only;
  TierChoice choice = choose_tier(kernel);
  ASSERT_TRUE(choice.can_trace);
  EXPECT_EQ(choice.programs.front(), "handle_mark_victim_pid");
  EXPECT_EQ(std::ranges::count(choice.programs, "handle_mark_victim"), 0);
  ASSERT_FALSE(choice.notes.empty());
}

TEST(ChooseTier, BeforeRdonlyCastTheProbeReadTwinsAreLoaded) {
  FakeFeatures kernel;
  kernel.rdonly_cast = false;  // 6.1
  TierChoice choice = choose_tier(kernel);
  ASSERT_TRUE(choice.can_trace) << choice.blocker;
  for (const char* program :
       {"handle_filemap_add_probe_read", "handle_filemap_delete_probe_read", "handle_lru_insertion_probe_read"})
    EXPECT_EQ(std::ranges::count(choice.programs, program), 1) << program;
  EXPECT_EQ(std::ranges::count(choice.programs, "handle_filemap_add"), 0);
  EXPECT_EQ(choice.programs.size(), tracer_hooks().size());
  ASSERT_EQ(choice.notes.size(), 1u);
  EXPECT_NE(choice.notes.front().find("bpf_rdonly_cast"), std::string::npos);
}

TEST(ChooseTier, MissingOptionalHooksDegradeWithAReason) {
  FakeFeatures kernel;
  kernel.missing_tracepoints = {"mod_memcg_state", "rss_stat"};  // before 6.13, and before 5.5
  kernel.missing = {Feature::fentry, Feature::kprobe};
  TierChoice choice = choose_tier(kernel);
  ASSERT_TRUE(choice.can_trace);
  EXPECT_EQ(choice.tier, Tier::tracepoint);
  EXPECT_EQ(std::ranges::count(choice.programs, "handle_mod_memcg_state"), 0);
  EXPECT_EQ(std::ranges::count(choice.programs, "handle_rss_stat"), 0);
  EXPECT_EQ(std::ranges::count(choice.programs, "handle_lru_insertion"), 1);  // shmem needs neither
  ASSERT_EQ(choice.notes.size(), 2u);
  EXPECT_NE(choice.notes[0].find("rss_stat"), std::string::npos);
  EXPECT_NE(choice.notes[1].find("mod_memcg_state"), std::string::npos);
}

TEST(ChooseTier, WithoutTheMemcgTracepointFentryStandsIn) {
  FakeFeatures kernel;  // a 6.12 guest: no memcg tracepoints, fentry and kprobes work
  kernel.missing_tracepoints = {"mod_memcg_state"};
  TierChoice choice = choose_tier(kernel);
  ASSERT_TRUE(choice.can_trace);
  EXPECT_EQ(choice.tier, Tier::fentry);
  EXPECT_EQ(std::ranges::count(choice.programs, "handle_memcg_state_fentry"), 1);
  EXPECT_EQ(std::ranges::count(choice.programs, "handle_memcg_state_kprobe"), 0);  // one per tracepoint
  // One note, that says what stands in, not also that kernel memory is missing.
  ASSERT_EQ(choice.notes.size(), 1u);
  EXPECT_NE(choice.notes[0].find("kernel memory per process through __mod_memcg_state (fentry) in place of "
                                 "mod_memcg_state"),
            std::string::npos)
      << choice.notes[0];
}

TEST(ChooseTier, KprobeIsTheFallback) {
  FakeFeatures kernel;
  kernel.missing_tracepoints = {"mod_memcg_state"};
  kernel.missing = {Feature::fentry};
  TierChoice choice = choose_tier(kernel);
  ASSERT_TRUE(choice.can_trace);
  EXPECT_EQ(choice.tier, Tier::kprobe);
  EXPECT_EQ(std::ranges::count(choice.programs, "handle_memcg_state_kprobe"), 1);
  ASSERT_EQ(choice.notes.size(), 1u);
  EXPECT_NE(choice.notes[0].find("through __mod_memcg_state (kprobe)"), std::string::npos) << choice.notes[0];
}

TEST(ChooseTier, AMissingFunctionLeavesTheTracepointTier) {
  FakeFeatures kernel;
  kernel.missing_tracepoints = {"mod_memcg_state"};
  kernel.functions = {};  // inlined
  TierChoice choice = choose_tier(kernel);
  ASSERT_TRUE(choice.can_trace);
  EXPECT_EQ(choice.tier, Tier::tracepoint);
  EXPECT_EQ(std::ranges::count(choice.programs, "handle_memcg_state_fentry"), 0);
  ASSERT_EQ(choice.notes.size(), 1u);
  EXPECT_NE(choice.notes[0].find("kernel memory per process"), std::string::npos);
}

TEST(ChooseTier, TracepointsWinOverFunctionHooks) {
  FakeFeatures kernel;
  TierChoice choice = choose_tier(kernel);
  EXPECT_EQ(choice.tier, Tier::tracepoint);
  for (const auto& program : choice.programs) EXPECT_EQ(program.find("fentry"), std::string::npos) << program;
}

TEST(ChooseTier, BlockersSayWhatToDo) {
  struct Case {
    Feature missing;
    const char* says;
  };
  for (auto [missing, says] : {Case{Feature::privileges, "privileges"}, Case{Feature::btf, "btf"},
                               Case{Feature::ringbuf, "ringbuf"}, Case{Feature::tp_btf, "tp_btf"}}) {
    FakeFeatures kernel;
    kernel.missing = {missing};
    TierChoice choice = choose_tier(kernel);
    EXPECT_FALSE(choice.can_trace);
    EXPECT_NE(choice.blocker.find(says), std::string::npos) << choice.blocker;
  }
  FakeFeatures no_oom;
  no_oom.shape = MarkVictimShape::missing;
  EXPECT_FALSE(choose_tier(no_oom).can_trace);
  FakeFeatures no_cgroup;
  no_cgroup.has_controller = false;
  EXPECT_FALSE(choose_tier(no_cgroup).can_trace);
}

TEST(ChooseTier, FentryAndKprobeAreNotRequired) {
  FakeFeatures kernel;
  kernel.missing = {Feature::fentry, Feature::kprobe, Feature::raw_tp, Feature::bpffs, Feature::tracefs};
  EXPECT_TRUE(choose_tier(kernel).can_trace);
}

TEST(Doctor, TextListsUnavailableFeaturesWithTheirReason) {
  FakeFeatures kernel;
  kernel.missing = {Feature::fentry, Feature::kprobe};
  DoctorReport report = assess(kernel, "6.18-test");
  std::string text = render_doctor_text(report);
  EXPECT_NE(text.find("no   fentry      fake: no fentry"), std::string::npos) << text;
  EXPECT_NE(text.find("no   kprobe      fake: no kprobe"), std::string::npos) << text;
  EXPECT_NE(text.find("tier: tracepoint"), std::string::npos);
  EXPECT_NE(text.find("oom:mark_victim (task)"), std::string::npos);
  EXPECT_NE(text.find("cgroup v1"), std::string::npos);
}

TEST(Doctor, JsonIsValidAndCarriesTheDecision) {
  FakeFeatures kernel;
  kernel.missing = {Feature::fentry};
  auto json = nlohmann::json::parse(render_doctor_json(assess(kernel, "k")));
  EXPECT_TRUE(json["can_trace"].get<bool>());
  EXPECT_EQ(json["tier"], "tracepoint");
  EXPECT_FALSE(json["features"]["fentry"]["ok"].get<bool>());
  EXPECT_EQ(json["features"]["fentry"]["detail"], "fake: no fentry");
  EXPECT_EQ(json["cgroup"]["version"], 1);
  EXPECT_EQ(json["hooks"].size(), tracer_hooks().size());

  FakeFeatures rootless;
  rootless.missing = {Feature::privileges};
  auto blocked = nlohmann::json::parse(render_doctor_json(assess(rootless, "k")));
  EXPECT_FALSE(blocked["can_trace"].get<bool>());
  EXPECT_TRUE(blocked["tier"].is_null());
  EXPECT_NE(blocked["reason"].get<std::string>().find("privileges"), std::string::npos);
}

}  // namespace
}  // namespace oomtrace
