// Renderers and the diagnosis, on a report built by hand.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "render.hpp"
#include "timeline.hpp"

namespace oomtrace {
namespace {

constexpr std::uint64_t MiB = 1 << 20;

Report sample_report() {
  Report r;
  r.reason = "oom_kill";
  r.time = "2026-12-03T10:00:00.000Z";
  r.kernel = "6.18.0";
  r.tier = "tracepoint";
  r.cgroup_version = 1;
  OomInfo oom;
  oom.constraint = "memcg";
  oom.domain_method = "memory_events_local";
  oom.memcg = {"/job", 7, 64 * MiB, 64 * MiB};
  oom.trigger_pid = 100;
  oom.trigger_comm = "leaker";
  oom.victims.push_back({100, "leaker", "/job", 40 * MiB, 2 * MiB, 0, 0});
  r.oom = oom;
  r.cgroup.ref = {"/job", 7, 64 * MiB, 64 * MiB};
  r.cgroup.stat.anon_bytes = 40 * MiB;
  r.cgroup.stat.shmem_bytes = 20 * MiB;
  r.cgroup.stat.file_bytes = 23 * MiB;  // 20 shmem + 3 page cache
  r.cgroup.stat.file_dirty_bytes = 1 * MiB;
  r.cgroup.stat.kernel_bytes = 1 * MiB;
  r.cgroup.stat.other = {{"mapped_file", 4096}};
  r.files.push_back({"/dev/shm/blob", "0:27", 2, "shmem", 20 * MiB, {{100, "leaker", 20 * MiB}}});
  r.files.push_back({"/data/input", "254:0", 99, "file", 3 * MiB, {{100, "leaker", 3 * MiB}}});
  r.processes.push_back({100, "leaker", 40 * MiB, 3 * MiB, 20 * MiB, true});
  r.timeline = {{-3000, 30 * MiB, 1 * MiB, 28 * MiB, 20 * MiB}, {0, 64 * MiB, 40 * MiB, 23 * MiB, 20 * MiB}};
  r.tracing.since = "2026-12-03T09:59:57.000Z";
  r.cgroup.oom_kills = 1;
  r.diagnosis = diagnose(r);
  return r;
}

TEST(Diagnose, ExplainsTheGapReclaimAndTimeline) {
  auto lines = diagnose(sample_report());
  ASSERT_GE(lines.size(), 4u);
  EXPECT_NE(lines[0].find("The victims' RSS was 42.0 MiB but the cgroup was charged 64.0 MiB"), std::string::npos)
      << lines[0];
  EXPECT_NE(lines[0].find("shmem 20.0 MiB"), std::string::npos);
  EXPECT_NE(lines[1].find("reclaimable clean page cache 2.0 MiB"), std::string::npos) << lines[1];
  EXPECT_NE(lines[1].find("anon 40.0 MiB (no swap)"), std::string::npos) << lines[1];
  EXPECT_NE(lines[2].find("3.0 s before, the cgroup held 8.0 MiB of page cache"), std::string::npos) << lines[2];
  EXPECT_NE(lines[3].find("/dev/shm/blob"), std::string::npos);
}

TEST(Diagnose, WithSwapAnonIsReclaimable) {
  Report r = sample_report();
  r.swap_total_bytes = 1 << 30;
  auto lines = diagnose(r);
  EXPECT_EQ(lines[1].find("no swap"), std::string::npos) << lines[1];
}

TEST(RenderText, ReadsTopDownHeadlineFirst) {
  std::string text = render_text(sample_report());
  std::vector<std::string> order{"OOM kill at 2026-12-03T10:00:00.000Z (memcg OOM)",
                                 "Killed: pid 100 (leaker) in /job",
                                 "Limit hit: /job (limit 64.0 MiB, usage 64.0 MiB = 100%)",
                                 "Triggered by: pid 100 (leaker)",
                                 "What filled /job",
                                 "Diagnosis",
                                 "Top files and shmem objects",
                                 "20.0 MiB  31% shmem /dev/shm/blob  [pid 100 (leaker) 20.0 MiB]",
                                 "Top processes",
                                 "Timeline",
                                 "Tracing since"};
  std::size_t at = 0;
  for (const auto& piece : order) {
    auto found = text.find(piece, at);
    ASSERT_NE(found, std::string::npos) << "missing or out of order: " << piece << "\n" << text;
    at = found;
  }
}

TEST(RenderText, ExitReportHasNoOomSection) {
  Report r = sample_report();
  r.reason = "exit";
  r.oom.reset();
  std::string text = render_text(r);
  EXPECT_EQ(text.rfind("Exit report at", 0), 0u);
  EXPECT_EQ(text.find("Killed:"), std::string::npos);
}

TEST(RenderHtml, EscapesAndWraps) {
  Report r = sample_report();
  r.files[0].name = "/tmp/<b>&";
  std::string html = render_html(r);
  EXPECT_NE(html.find("/tmp/&lt;b&gt;&amp;"), std::string::npos);
  EXPECT_EQ(html.find("<b>&"), std::string::npos);
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
}

TEST(RenderJson, FollowsTheContractSchema) {
  auto json = nlohmann::json::parse(render_json(sample_report()));
  EXPECT_EQ(json["schema"], "oomtrace.report/v1");
  EXPECT_EQ(json["reason"], "oom_kill");
  for (const char* key : {"kernel", "tier", "cgroup_version"}) EXPECT_TRUE(json["host"].contains(key)) << key;
  for (const char* key : {"constraint", "memcg", "trigger", "victims"}) EXPECT_TRUE(json["oom"].contains(key)) << key;
  for (const char* key : {"path", "id", "limit_bytes", "usage_bytes"}) EXPECT_TRUE(json["oom"]["memcg"].contains(key));
  for (const char* key : {"pid", "comm", "memcg_path", "anon_rss_bytes", "file_rss_bytes", "shmem_rss_bytes",
                          "oom_score_adj"})
    EXPECT_TRUE(json["oom"]["victims"][0].contains(key)) << key;
  for (const char* key : {"anon_bytes", "file_bytes", "shmem_bytes", "file_dirty_bytes", "file_writeback_bytes",
                          "kernel_bytes", "mapped_file"})
    EXPECT_TRUE(json["cgroup"]["stat"].contains(key)) << key;
  for (const char* key : {"name", "dev", "ino", "kind", "resident_bytes", "chargers"})
    EXPECT_TRUE(json["files"][0].contains(key)) << key;
  for (const char* key : {"pid", "comm", "anon_bytes", "file_bytes", "shmem_bytes"})
    EXPECT_TRUE(json["processes"][0].contains(key)) << key;
  for (const char* key : {"t_offset_ms", "usage_bytes", "anon_bytes", "file_bytes", "shmem_bytes"})
    EXPECT_TRUE(json["timeline"][0].contains(key)) << key;
  EXPECT_TRUE(json["tracing"].contains("since"));
  EXPECT_TRUE(json["tracing"].contains("lost_events"));
}

TEST(RenderJson, RoundTrips) {
  Report original = sample_report();
  auto parsed = parse_report_json(render_json(original));
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(render_json(*parsed), render_json(original));
  EXPECT_EQ(render_text(*parsed), render_text(original));
}

TEST(ParseReportJson, RejectsTruncatedCorruptAndForeignFiles) {
  std::string json = render_json(sample_report());
  for (const std::string& bad : {json.substr(0, json.size() / 2), std::string("not json"), std::string(),
                                 std::string("{\"schema\": \"other/v1\"}"),
                                 std::string("{\"schema\": \"oomtrace.report/v1\", \"reason\": \"exit\"}"),
                                 std::string("[1,2,3]")}) {
    auto parsed = parse_report_json(bad);
    ASSERT_FALSE(parsed) << bad;
    EXPECT_EQ(parsed.error().exit_code, ExitCode::bad_input);
    EXPECT_EQ(parsed.error().message.find('\n'), std::string::npos) << parsed.error().message;
  }
}

TEST(ParseFormats, CommaList) {
  EXPECT_EQ(parse_formats("text,json,html").value(), (std::vector{Format::text, Format::json, Format::html}));
  EXPECT_FALSE(parse_formats("text,,json"));
  EXPECT_FALSE(parse_formats(""));
}

TEST(Timeline, KeepsTheLastSamplesOldestFirst) {
  Timeline timeline(3);
  const auto t0 = WallClock::now();
  for (int i = 0; i < 5; ++i) timeline.push({t0 + std::chrono::seconds(i), static_cast<std::uint64_t>(i), {}});
  auto samples = timeline.relative_to(t0 + std::chrono::seconds(4));
  ASSERT_EQ(samples.size(), 3u);
  EXPECT_EQ(samples[0].usage_bytes, 2u);
  EXPECT_EQ(samples[0].t_offset_ms, -2000);
  EXPECT_EQ(samples[2].t_offset_ms, 0);
  EXPECT_EQ(timeline.latest()->usage_bytes, 4u);
  EXPECT_EQ(timeline.relative_to(t0 + std::chrono::milliseconds(2500)).size(), 1u);
}

}  // namespace
}  // namespace oomtrace

namespace oomtrace {
namespace {

TEST(RenderReport, NamesTheContainerBehindTheLimit) {
  Report r = sample_report();
  const std::string id(64, 'a');
  r.oom->memcg.path = "/system.slice/docker-" + id + ".scope";
  r.oom->memcg.container = container_of_cgroup(r.oom->memcg.path);
  auto json = nlohmann::json::parse(render_json(r));
  EXPECT_EQ(json["oom"]["memcg"]["container"]["runtime"], "docker");
  EXPECT_EQ(json["oom"]["memcg"]["container"]["id"], id);
  EXPECT_NE(render_text(r).find("[container aaaaaaaaaaaa (docker)]"), std::string::npos) << render_text(r);
  EXPECT_FALSE(json["cgroup"].contains("container"));  // "/job" names none
}

}  // namespace
}  // namespace oomtrace
