// Container, pod and unit names from cgroup paths, as each runtime lays them out.
#include <gtest/gtest.h>

#include "container.hpp"

namespace oomtrace {
namespace {

const std::string kId = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

TEST(ContainerOfCgroup, Docker) {
  auto cgroupfs = container_of_cgroup("/docker/" + kId);
  EXPECT_EQ(cgroupfs.runtime, "docker");
  EXPECT_EQ(cgroupfs.container_id, kId);
  auto systemd = container_of_cgroup("/system.slice/docker-" + kId + ".scope");
  EXPECT_EQ(systemd.runtime, "docker");
  EXPECT_EQ(systemd.container_id, kId);
  EXPECT_EQ(systemd.systemd_unit, "docker-" + kId + ".scope");
}

TEST(ContainerOfCgroup, KubepodsWithTheSystemdDriver) {
  auto info = container_of_cgroup(
      "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1b2c3d4e_0000_1111_2222_333344445555.slice/"
      "cri-containerd-" + kId + ".scope");
  EXPECT_EQ(info.runtime, "containerd");
  EXPECT_EQ(info.container_id, kId);
  EXPECT_EQ(info.pod_uid, "1b2c3d4e-0000-1111-2222-333344445555");
  EXPECT_EQ(info.qos_class, "burstable");
  auto crio = container_of_cgroup("/kubepods.slice/kubepods-pod1b2c3d4e_0000_1111_2222_333344445555.slice/crio-" +
                                  kId + ".scope");
  EXPECT_EQ(crio.runtime, "cri-o");
  EXPECT_EQ(crio.qos_class, "guaranteed");
}

TEST(ContainerOfCgroup, KubepodsWithTheCgroupfsDriver) {
  auto info = container_of_cgroup("/kubepods/besteffort/pod1b2c3d4e-0000-1111-2222-333344445555/" + kId);
  EXPECT_EQ(info.runtime, "kubernetes");
  EXPECT_EQ(info.container_id, kId);
  EXPECT_EQ(info.pod_uid, "1b2c3d4e-0000-1111-2222-333344445555");
  EXPECT_EQ(info.qos_class, "besteffort");
}

TEST(ContainerOfCgroup, SystemdUnitsAndPlainCgroups) {
  auto session = container_of_cgroup("/user.slice/user-1000.slice/session-3.scope");
  EXPECT_TRUE(session.runtime.empty());
  EXPECT_EQ(session.systemd_unit, "session-3.scope");
  EXPECT_EQ(container_of_cgroup("/system.slice/nginx.service").systemd_unit, "nginx.service");
  EXPECT_EQ(container_of_cgroup("/libpod_parent/libpod-" + kId + ".scope").runtime, "podman");
  EXPECT_TRUE(container_of_cgroup("/process_api/abc/oomtrace-run-12").empty());
  EXPECT_TRUE(container_of_cgroup("/").empty());
}

}  // namespace
}  // namespace oomtrace
