#include "doctor.hpp"

#include <nlohmann/json.hpp>
#include <sstream>

#include "size.hpp"

namespace oomtrace {
namespace {

std::string_view shape_name(MarkVictimShape shape) {
  switch (shape) {
    case MarkVictimShape::task: return "task";
    case MarkVictimShape::pid_only: return "pid";
    case MarkVictimShape::missing: return "missing";
  }
  return "missing";
}

std::uint64_t total_map_bytes(const DoctorReport& report) {
  std::uint64_t total = 0;
  for (const MapMemory& map : report.maps) total += map.bytes;
  return total;
}

}  // namespace

DoctorReport assess(Features& features, std::string kernel) {
  DoctorReport report;
  report.kernel = std::move(kernel);
  for (Feature feature : all_features) report.features.emplace_back(feature, features.probe(feature));
  report.mark_victim_shape = features.mark_victim_shape();
  for (const HookSpec& hook : tracer_hooks()) report.hooks.push_back({hook, features.probe_hook(hook)});
  for (const FunctionHookSpec& hook : function_hooks())
    for (Attach attach : {Attach::fentry, Attach::kprobe})
      report.function_hooks.push_back({hook, attach, features.probe_function_hook(hook, attach)});
  if (auto controller = features.memory_controller())
    report.controller = *controller;
  else
    report.controller_error = controller.error().message;
  report.choice = choose_tier(features);
  return report;
}

std::string render_doctor_text(const DoctorReport& report) {
  std::ostringstream out;
  out << fmt::format("oomtrace doctor on kernel {}\n\nfeatures\n", report.kernel);
  for (const auto& [feature, check] : report.features)
    out << fmt::format("  {:<4} {:<11} {}\n", check.ok ? "ok" : "no", feature_name(feature), check.detail);
  out << "\nhooks\n";
  for (const auto& [hook, check] : report.hooks) {
    std::string name = fmt::format("{}:{}", hook.group, hook.tracepoint);
    if (std::string_view(hook.tracepoint) == "mark_victim")
      name += fmt::format(" ({})", shape_name(report.mark_victim_shape));
    out << fmt::format("  {:<4} {:<42} {}\n       {}\n", check.ok ? "ok" : "no", name, hook.purpose,
                       check.detail);
  }
  out << "\nfunction hooks (stand-ins where a memcg tracepoint is missing)\n";
  for (const auto& [hook, attach, check] : report.function_hooks)
    out << fmt::format("  {:<4} {:<42} for {}\n       {}\n", check.ok ? "ok" : "no",
                       fmt::format("{}/{}", attach_name(attach), hook.function), hook.replaces, check.detail);
  out << "\ncgroup\n";
  if (report.controller)
    out << fmt::format("  ok   memory controller on cgroup v{} at {}; this process is in {}\n",
                       static_cast<int>(report.controller->version), report.controller->mount.string(),
                       report.controller->self.string());
  else
    out << fmt::format("  no   {}\n", report.controller_error);
  if (!report.maps.empty()) {
    out << fmt::format("\nmaps   {} in all\n", format_bytes(total_map_bytes(report)));
    for (const MapMemory& map : report.maps)
      out << fmt::format("  {:<16} {:>10}\n", map.name, format_bytes(map.bytes));
  }
  for (const auto& note : report.choice.notes) out << fmt::format("\nnote: {}", note);
  if (!report.choice.notes.empty()) out << "\n";
  if (report.choice.can_trace)
    out << fmt::format("\ntier: {}\n", tier_name(report.choice.tier));
  else
    out << fmt::format("\ntracing cannot run: {}\n", report.choice.blocker);
  return out.str();
}

std::string render_doctor_json(const DoctorReport& report) {
  nlohmann::json out;
  out["kernel"] = report.kernel;
  out["can_trace"] = report.choice.can_trace;
  out["tier"] = report.choice.can_trace ? nlohmann::json(tier_name(report.choice.tier)) : nlohmann::json(nullptr);
  if (!report.choice.can_trace) out["reason"] = report.choice.blocker;
  for (const auto& [feature, check] : report.features)
    out["features"][std::string(feature_name(feature))] = {{"ok", check.ok}, {"detail", check.detail}};
  out["hooks"] = nlohmann::json::array();
  for (const auto& [hook, check] : report.hooks)
    out["hooks"].push_back({{"tracepoint", fmt::format("{}:{}", hook.group, hook.tracepoint)},
                            {"program", hook.program},
                            {"purpose", hook.purpose},
                            {"required", hook.required},
                            {"ok", check.ok},
                            {"detail", check.detail}});
  out["function_hooks"] = nlohmann::json::array();
  for (const auto& [hook, attach, check] : report.function_hooks)
    out["function_hooks"].push_back({{"function", hook.function},
                                     {"attach", attach_name(attach)},
                                     {"replaces", hook.replaces},
                                     {"ok", check.ok},
                                     {"detail", check.detail}});
  out["mark_victim_shape"] = shape_name(report.mark_victim_shape);
  if (report.controller)
    out["cgroup"] = {{"version", static_cast<int>(report.controller->version)},
                     {"mount", report.controller->mount.string()},
                     {"self", report.controller->self.string()}};
  else
    out["cgroup"] = {{"error", report.controller_error}};
  out["programs"] = report.choice.programs;
  out["notes"] = report.choice.notes;
  nlohmann::json maps = nlohmann::json::object();
  for (const MapMemory& map : report.maps) maps[map.name] = map.bytes;
  out["map_memory_bytes"] = {{"total", total_map_bytes(report)}, {"maps", maps}};
  return out.dump(2) + "\n";
}

}  // namespace oomtrace
