// What a cgroup path says about the container or unit that owns it: docker, containerd,
// cri-o, kubepods (systemd and cgroupfs drivers) and systemd units.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace oomtrace {

struct ContainerInfo {
  std::string runtime;       // "docker" | "containerd" | "cri-o" | "podman" | "" (not a container)
  std::string container_id;  // 64 hex digits
  std::string pod_uid;       // Kubernetes pod UID, dashed
  std::string qos_class;     // "guaranteed" | "burstable" | "besteffort"
  std::string systemd_unit;  // the innermost *.scope / *.service / *.slice
  bool empty() const { return runtime.empty() && pod_uid.empty() && systemd_unit.empty(); }
};

ContainerInfo container_of_cgroup(std::string_view path);

}  // namespace oomtrace
