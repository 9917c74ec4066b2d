// `oomtrace doctor`: the probe results, hook by hook, and the tier that would be used.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "features.hpp"
#include "tracer.hpp"

namespace oomtrace {

struct HookResult {
  HookSpec hook;
  Check check;
};

struct FunctionHookResult {
  FunctionHookSpec hook;
  Attach attach;
  Check check;
};

struct DoctorReport {
  std::string kernel;
  std::vector<std::pair<Feature, Check>> features;
  std::vector<HookResult> hooks;
  std::vector<FunctionHookResult> function_hooks;
  MarkVictimShape mark_victim_shape = MarkVictimShape::missing;
  std::optional<MemoryController> controller;
  std::string controller_error;
  TierChoice choice;
  std::vector<MapMemory> maps;  // filled when the tracer could be loaded
};

// Runs every probe through `features`; pure apart from what Features does.
DoctorReport assess(Features& features, std::string kernel);
std::string render_doctor_text(const DoctorReport& report);
std::string render_doctor_json(const DoctorReport& report);

}  // namespace oomtrace
