// Test support for the root tiers: a test that needs root skips with the reason when it is
// not root, except in CI (CI=true), where nothing core may skip and a skip is a failure.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#define OOMTRACE_REQUIRE(condition, reason)                                         \
  do {                                                                              \
    if (!(condition)) {                                                             \
      const char* ci = std::getenv("CI");                                           \
      if (ci && std::string(ci) == "true") FAIL() << "cannot run in CI: " << reason; \
      GTEST_SKIP() << reason;                                                       \
    }                                                                               \
  } while (0)

#define OOMTRACE_REQUIRE_ROOT() \
  OOMTRACE_REQUIRE(::geteuid() == 0, "needs root to load BPF programs and create cgroups")
