#include "container.hpp"

#include <array>
#include <regex>

namespace oomtrace {
namespace {

struct RuntimePattern {
  const char* runtime;
  std::regex pattern;  // the first group is the container id
};

const std::array<RuntimePattern, 5>& runtime_patterns() {
  static const std::array<RuntimePattern, 5> patterns{{
      {"docker", std::regex(R"((?:^|/)docker[-/]([0-9a-f]{64})(?:\.scope)?(?:/|$))")},
      {"containerd", std::regex(R"((?:^|/)cri-containerd-([0-9a-f]{64})\.scope(?:/|$))")},
      {"cri-o", std::regex(R"((?:^|/)crio-([0-9a-f]{64})\.scope(?:/|$))")},
      {"podman", std::regex(R"((?:^|/)libpod-([0-9a-f]{64})\.scope(?:/|$))")},
      // kubepods with the cgroupfs driver: /kubepods/<qos>/pod<uid>/<id>
      {"", std::regex(R"(/pod[0-9a-f_-]{36}/([0-9a-f]{64})(?:/|$))")},
  }};
  return patterns;
}

}  // namespace

ContainerInfo container_of_cgroup(std::string_view path) {
  ContainerInfo info;
  const std::string text(path);
  std::smatch match;
  for (const auto& [runtime, pattern] : runtime_patterns()) {
    if (std::regex_search(text, match, pattern)) {
      info.runtime = runtime;
      info.container_id = match[1];
      break;
    }
  }
  // kubepods-burstable-pod1234_5678.slice (systemd) or /kubepods/burstable/pod1234-5678 (cgroupfs).
  static const std::regex pod(R"(pod([0-9a-f]{8}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{12}))");
  if (std::regex_search(text, match, pod)) {
    info.pod_uid = match[1];
    for (char& c : info.pod_uid)
      if (c == '_') c = '-';
    static const std::regex qos(R"(kubepods[-/](burstable|besteffort))");
    info.qos_class = std::regex_search(text, match, qos) ? std::string(match[1]) : "guaranteed";
    if (info.runtime.empty() && !info.container_id.empty()) info.runtime = "kubernetes";
  }
  static const std::regex unit(R"(([^/]+\.(?:scope|service)))");
  for (auto it = std::sregex_iterator(text.begin(), text.end(), unit); it != std::sregex_iterator(); ++it)
    info.systemd_unit = (*it)[1];
  return info;
}

}  // namespace oomtrace
