// Shared by the end-to-end tests: a scratch directory, the reports in it, ground truth.
#pragma once

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>
#include <nlohmann/json.hpp>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "process.hpp"

namespace oomtrace::test {

namespace fs = std::filesystem;
using nlohmann::json;

class Scratch {
 public:
  Scratch() {
    std::string dir = temp_dir_path("oomtrace-e2e-XXXXXX");
    path_ = ::mkdtemp(dir.data());
  }
  ~Scratch() {
    std::error_code ec;
    fs::remove_all(path_, ec);
    for (const auto& shm : shm_) fs::remove(shm, ec);
  }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  std::string operator/(const std::string& name) const { return (path_ / name).string(); }
  // A /dev/shm path removed at the end.
  std::string shm(const std::string& name) {
    shm_.push_back(fmt::format("/dev/shm/oomtrace-e2e-{}-{}", ::getpid(), name));
    return shm_.back();
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
  std::vector<std::string> shm_;
};

inline std::vector<json> reports_in(const std::string& dir) {
  std::vector<fs::path> paths;
  for (const auto& entry : fs::directory_iterator(dir))
    if (entry.path().extension() == ".json") paths.push_back(entry.path());
  std::sort(paths.begin(), paths.end());
  std::vector<json> reports;
  for (const auto& path : paths) reports.push_back(json::parse(slurp(path.string())));
  return reports;
}

inline std::vector<std::string> files_in(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) names.push_back(entry.path().filename().string());
  return names;
}

// "pid kind key resident_bytes" lines written by the workload's truth step.
struct Truth {
  int pid = 0;
  std::string kind, key;
  std::uint64_t resident = 0;
};
inline std::vector<Truth> read_truth(const std::string& path) {
  std::vector<Truth> truth;
  std::istringstream in(slurp(path));
  for (Truth t; in >> t.pid >> t.kind >> t.key >> t.resident;) truth.push_back(t);
  return truth;
}

// The report's schema, as ../shared/notes/contract.md has it.
inline void expect_contract(const json& report) {
  EXPECT_EQ(report["schema"], "oomtrace.report/v1");
  ASSERT_TRUE(report["reason"] == "oom_kill" || report["reason"] == "exit") << report["reason"];
  EXPECT_TRUE(report["time"].get<std::string>().ends_with("Z"));
  for (const char* key : {"kernel", "tier", "cgroup_version"}) EXPECT_TRUE(report["host"].contains(key)) << key;
  if (report["reason"] == "oom_kill") {
    const auto& oom = report["oom"];
    EXPECT_TRUE(oom["constraint"].is_string());
    for (const char* key : {"path", "id", "limit_bytes", "usage_bytes"}) EXPECT_TRUE(oom["memcg"].contains(key)) << key;
    EXPECT_TRUE(oom["trigger"]["pid"].is_number_unsigned());
    EXPECT_TRUE(oom["trigger"]["comm"].is_string());
    ASSERT_FALSE(oom["victims"].empty());
    for (const auto& victim : oom["victims"])
      for (const char* key : {"pid", "comm", "memcg_path", "anon_rss_bytes", "file_rss_bytes", "shmem_rss_bytes",
                              "oom_score_adj"})
        EXPECT_TRUE(victim.contains(key)) << key;
  }
  const auto& cgroup = report["cgroup"];
  for (const char* key : {"path", "id", "limit_bytes", "usage_bytes", "stat"}) EXPECT_TRUE(cgroup.contains(key)) << key;
  for (const char* key : {"anon_bytes", "file_bytes", "shmem_bytes", "file_dirty_bytes", "file_writeback_bytes",
                          "kernel_bytes"})
    EXPECT_TRUE(cgroup["stat"][key].is_number_unsigned()) << key;
  ASSERT_TRUE(report["files"].is_array());
  std::uint64_t previous = UINT64_MAX;
  for (const auto& file : report["files"]) {
    for (const char* key : {"name", "dev", "ino", "kind", "resident_bytes", "chargers"}) EXPECT_TRUE(file.contains(key)) << key;
    EXPECT_TRUE(file["kind"] == "file" || file["kind"] == "shmem");
    EXPECT_LE(file["resident_bytes"].get<std::uint64_t>(), previous) << "files are sorted largest first";
    previous = file["resident_bytes"].get<std::uint64_t>();
  }
  ASSERT_TRUE(report["processes"].is_array());
  for (const auto& process : report["processes"])
    for (const char* key : {"pid", "comm", "anon_bytes", "file_bytes", "shmem_bytes"}) EXPECT_TRUE(process.contains(key)) << key;
  ASSERT_TRUE(report["timeline"].is_array());
  for (const auto& sample : report["timeline"]) EXPECT_LE(sample["t_offset_ms"].get<std::int64_t>(), 0);
  EXPECT_TRUE(report["tracing"]["since"].is_string());
  EXPECT_TRUE(report["tracing"]["lost_events"].is_number_unsigned());
}

inline const json* find_file(const json& report, const std::string& name) {
  for (const auto& file : report["files"])
    if (file["name"] == name) return &file;
  return nullptr;
}

}  // namespace oomtrace::test
