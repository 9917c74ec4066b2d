// RAII owners for libbpf objects. The generated skeletons (bpftool gen skeleton) give each
// Skel static open/load/attach/destroy under __cplusplus; Skeleton<Skel> owns one.
#pragma once

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include <memory>
#include <utility>

#include "error.hpp"

namespace oomtrace {

template <class Skel>
class Skeleton {
 public:
  [[nodiscard]] static Result<Skeleton> open() {
    Skel* skel = Skel::open(nullptr);
    if (!skel) return fail("cannot open the BPF object: {}", errno_text(errno));
    return Skeleton(skel);
  }

  Skeleton(Skeleton&& other) noexcept : skel_(std::exchange(other.skel_, nullptr)) {}
  Skeleton& operator=(Skeleton&& other) noexcept {
    if (this != &other) {
      reset();
      skel_ = std::exchange(other.skel_, nullptr);
    }
    return *this;
  }
  Skeleton(const Skeleton&) = delete;
  Skeleton& operator=(const Skeleton&) = delete;
  ~Skeleton() { reset(); }

  [[nodiscard]] Result<void> load() {
    if (int err = Skel::load(skel_); err != 0)
      return fail("cannot load the BPF programs: {} (run `oomtrace doctor`)", errno_text(err));
    return {};
  }

  Skel* operator->() const { return skel_; }
  Skel* get() const { return skel_; }

 private:
  explicit Skeleton(Skel* skel) : skel_(skel) {}
  void reset() {
    if (skel_) Skel::destroy(skel_);
    skel_ = nullptr;
  }
  Skel* skel_;
};

struct LinkDeleter {
  void operator()(bpf_link* link) const { bpf_link__destroy(link); }
};
using Link = std::unique_ptr<bpf_link, LinkDeleter>;

struct RingBufferDeleter {
  void operator()(ring_buffer* ring) const { ring_buffer__free(ring); }
};
using RingBuffer = std::unique_ptr<ring_buffer, RingBufferDeleter>;

struct BtfDeleter {
  void operator()(btf* handle) const { btf__free(handle); }
};
using Btf = std::unique_ptr<btf, BtfDeleter>;

// Attaches one program; libbpf returns NULL and sets errno on failure.
[[nodiscard]] inline Result<Link> attach_program(bpf_program* program) {
  bpf_link* link = bpf_program__attach(program);
  if (!link)
    return fail("cannot attach {}: {}", bpf_program__name(program), errno_text(errno));
  return Link(link);
}

}  // namespace oomtrace
