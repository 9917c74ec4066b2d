// A fixed ring of per-second samples of one cgroup: what it held before the kill.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "host.hpp"
#include "report.hpp"

namespace oomtrace {

struct Sample {
  WallClock::time_point time;
  std::uint64_t usage_bytes = 0;
  MemoryStat stat;
};

class Timeline {
 public:
  explicit Timeline(std::size_t capacity = 120) : capacity_(capacity) {}

  void push(Sample sample) {
    if (samples_.size() < capacity_) {
      samples_.push_back(std::move(sample));
    } else {
      samples_[next_] = std::move(sample);
      next_ = (next_ + 1) % capacity_;
    }
  }
  const Sample* latest() const {
    if (samples_.empty()) return nullptr;
    return &samples_[(next_ + samples_.size() - 1) % samples_.size()];
  }
  // Oldest first, offsets in ms relative to `at` (samples after it are left out).
  std::vector<TimelineSample> relative_to(WallClock::time_point at) const {
    std::vector<TimelineSample> out;
    for (std::size_t i = 0; i < samples_.size(); ++i) {
      const Sample& s = samples_[(next_ + i) % samples_.size()];
      auto offset = std::chrono::duration_cast<std::chrono::milliseconds>(s.time - at).count();
      if (offset > 0) continue;
      out.push_back({offset, s.usage_bytes, s.stat.anon_bytes, s.stat.file_bytes, s.stat.shmem_bytes});
    }
    return out;
  }

 private:
  std::size_t capacity_;
  std::size_t next_ = 0;  // the oldest sample, once the ring is full
  std::vector<Sample> samples_;
};

}  // namespace oomtrace
