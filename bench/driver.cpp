// The benchmark's workload, run inside a cgroup:
//   driver read  DIR FILES MIB    cold-cache buffered reads of FILES files (DONTNEED before)
//   driver write DIR FILES MIB    buffered writes of FILES new files, removed afterwards
//   driver shm   DIR FILES MIB    fill then truncate FILES tmpfs files (DIR on /dev/shm)
//   driver anon  DIR FILES MIB    map, touch and unmap FILES private anonymous regions (DIR unused)
// Prints one JSON line: {"bytes":..,"ops":..,"seconds":..}. ops are 1 MiB read/write calls, or
// 1 MiB touched.
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

constexpr std::size_t kChunk = 1 << 20;

[[noreturn]] void die(const std::string& what) {
  std::perror(what.c_str());
  std::exit(1);
}

std::string file_name(const std::string& dir, int i) { return dir + "/f" + std::to_string(i); }

void fill(const std::string& path, std::size_t mib, std::vector<char>& chunk, std::size_t& ops) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) die("open " + path);
  for (std::size_t i = 0; i < mib; ++i, ++ops)
    if (::write(fd, chunk.data(), kChunk) != static_cast<ssize_t>(kChunk)) die("write " + path);
  ::close(fd);
}

// One fault per page: the anon charge path, and what a leaking process does.
void touch_anon(std::size_t mib, std::size_t& ops) {
  const std::size_t bytes = mib * kChunk, page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  void* region = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (region == MAP_FAILED) die("mmap");
  auto* bytes_at = static_cast<volatile char*>(region);
  for (std::size_t offset = 0; offset < bytes; offset += page) bytes_at[offset] = 1;
  ops += mib;
  ::munmap(region, bytes);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: driver read|write|shm|anon DIR FILES MIB\n");
    return 2;
  }
  const std::string mode = argv[1], dir = argv[2];
  const int files = std::atoi(argv[3]);
  const std::size_t mib = std::strtoul(argv[4], nullptr, 10);
  std::vector<char> chunk(kChunk, 'b');
  std::size_t ops = 0;

  if (mode == "read") {  // the files are made once, outside the timing, then dropped
    for (int i = 0; i < files; ++i)
      if (::access(file_name(dir, i).c_str(), F_OK) != 0) fill(file_name(dir, i), mib, chunk, ops);
    ops = 0;
    for (int i = 0; i < files; ++i) {
      int fd = ::open(file_name(dir, i).c_str(), O_RDONLY);
      if (fd < 0) die("open");
      ::fdatasync(fd);
      ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
      ::close(fd);
    }
  }
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < files; ++i) {
    const std::string path = file_name(dir, i);
    if (mode == "read") {
      int fd = ::open(path.c_str(), O_RDONLY);
      if (fd < 0) die("open " + path);
      while (::read(fd, chunk.data(), kChunk) > 0) ++ops;
      ::close(fd);
    } else if (mode == "write") {
      fill(path, mib, chunk, ops);
    } else if (mode == "shm") {
      fill(path, mib, chunk, ops);
      if (::truncate(path.c_str(), 0) != 0) die("truncate " + path);
    } else if (mode == "anon") {
      touch_anon(mib, ops);
    } else {
      std::fprintf(stderr, "driver: unknown mode %s\n", mode.c_str());
      return 2;
    }
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (mode == "write" || mode == "shm")
    for (int i = 0; i < files; ++i) ::unlink(file_name(dir, i).c_str());
  std::printf("{\"bytes\": %zu, \"ops\": %zu, \"seconds\": %.6f}\n", static_cast<std::size_t>(files) * mib * kChunk,
              ops, seconds);
  return 0;
}
