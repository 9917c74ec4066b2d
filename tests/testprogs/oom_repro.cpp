// The bundled reproducer: fills page cache, writes to /dev/shm, then leaks anon until the
// cgroup's limit kills it. Used by README's run command and the e2e tests.
//   oom_repro [--cache-file PATH --cache-mib N] [--shm-file PATH --shm-mib N] [--settle-ms N]
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace {

constexpr std::size_t kMiB = 1 << 20;

bool write_mib(const std::string& path, std::size_t mib) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    std::fprintf(stderr, "oom_repro: cannot create %s: %s\n", path.c_str(), std::strerror(errno));
    return false;
  }
  std::vector<char> chunk(kMiB, 'x');
  for (std::size_t i = 0; i < mib; ++i)
    if (::write(fd, chunk.data(), chunk.size()) != static_cast<ssize_t>(chunk.size())) {
      std::fprintf(stderr, "oom_repro: write %s: %s\n", path.c_str(), std::strerror(errno));
      ::close(fd);
      return false;
    }
  ::close(fd);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  std::string cache_file = "oom_repro.cache", shm_file = "/dev/shm/oom_repro." + std::to_string(::getpid());
  std::size_t cache_mib = 16, shm_mib = 16;
  long settle_ms = 2500;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    if (flag == "--cache-file") cache_file = argv[i + 1];
    else if (flag == "--cache-mib") cache_mib = std::strtoul(argv[i + 1], nullptr, 10);
    else if (flag == "--shm-file") shm_file = argv[i + 1];
    else if (flag == "--shm-mib") shm_mib = std::strtoul(argv[i + 1], nullptr, 10);
    else if (flag == "--settle-ms") settle_ms = std::strtol(argv[i + 1], nullptr, 10);
    else {
      std::fprintf(stderr, "oom_repro: unknown flag %s\n", argv[i]);
      return 2;
    }
  }
  if (cache_mib && !write_mib(cache_file, cache_mib)) return 1;
  if (shm_mib && !write_mib(shm_file, shm_mib)) return 1;
  std::printf("oom_repro: pid %d wrote %zu MiB of page cache to %s and %zu MiB to %s\n", ::getpid(),
              cache_mib, cache_file.c_str(), shm_mib, shm_file.c_str());
  std::fflush(stdout);
  // Let the sampler see the page cache before the leak makes reclaim squeeze it out.
  std::this_thread::sleep_for(std::chrono::milliseconds(settle_ms));
  std::vector<char*> leak;
  for (;;) {
    char* block = static_cast<char*>(std::malloc(kMiB));
    if (!block) return 1;
    std::memset(block, 1, kMiB);
    leak.push_back(block);
  }
}
