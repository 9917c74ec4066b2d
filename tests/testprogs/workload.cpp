// A scripted memory workload for the tests and the benchmark. Each argument is one step:
//   write:PATH:MIB       write() MIB of page cache to PATH
//   read:PATH            read PATH to the end (page cache, if it was dropped)
//   shm:PATH:MIB         write() MIB to PATH on a tmpfs (/dev/shm)
//   shm-append:PATH:MIB  write() MIB more to the end of PATH on a tmpfs
//   shm-mmap:PATH:MIB    ftruncate PATH on a tmpfs, fill it through a shared mapping
//   shm-pageout:PATH     map all of PATH and madvise(MADV_PAGEOUT) it: without swap, reclaim
//                        puts every folio back on the LRU (a second LRU insertion)
//   memfd:NAME:MIB       memfd_create(NAME), write MIB, keep it open
//   sysv:MIB             a System V segment of MIB, attached and filled
//   shared-anon:MIB      a MAP_SHARED|MAP_ANONYMOUS mapping of MIB, filled
//   anon:MIB             MIB of private anon memory, touched
//   leak                 allocate anon 1 MiB at a time until the cgroup's limit kills us
//   sleep:MS             pause
//   truth:OUT            write "pid kind key resident_bytes" for every object so far (mincore,
//                        as fincore does): the ground truth the tests compare reports with
//   hold:MS              fork a child that keeps every object alive for MS, then go on
//   pid:OUT              write our pid to OUT
#include <fcntl.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

namespace {

constexpr std::size_t kMiB = 1 << 20;

struct Object {
  std::string kind;  // file | shm | memfd | sysv | shared-anon
  std::string key;   // path, memfd name or SysV key
  int fd = -1;       // memfd
  void* mapping = nullptr;  // sysv, shared-anon
  std::size_t bytes = 0;
};

std::vector<Object> objects;

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "workload: %s: %s\n", what.c_str(), std::strerror(errno));
  std::exit(1);
}

std::vector<std::string> split(const std::string& step) {
  std::vector<std::string> parts;
  std::size_t start = 0, colon;
  while ((colon = step.find(':', start)) != std::string::npos) {
    parts.push_back(step.substr(start, colon - start));
    start = colon + 1;
  }
  parts.push_back(step.substr(start));
  return parts;
}

void write_all(int fd, std::size_t bytes, const std::string& what) {
  std::vector<char> chunk(kMiB, 'w');
  for (std::size_t done = 0; done < bytes; done += kMiB)
    if (::write(fd, chunk.data(), kMiB) != static_cast<ssize_t>(kMiB)) die("write " + what);
}

void fill(void* mapping, std::size_t bytes) {
  for (std::size_t off = 0; off < bytes; off += 4096) static_cast<char*>(mapping)[off] = 1;
}

std::size_t resident(void* mapping, std::size_t bytes) {
  std::size_t pages = (bytes + 4095) / 4096, count = 0;
  std::vector<unsigned char> vec(pages);
  if (::mincore(mapping, bytes, vec.data()) != 0) die("mincore");
  for (unsigned char v : vec) count += v & 1;
  return count * 4096;
}

std::size_t resident_of(const Object& object) {
  if (object.mapping) return resident(object.mapping, object.bytes);
  int fd = object.fd >= 0 ? object.fd : ::open(object.key.c_str(), O_RDONLY);
  if (fd < 0) die("open " + object.key);
  std::size_t size = static_cast<std::size_t>(::lseek(fd, 0, SEEK_END));
  std::size_t bytes = 0;
  if (size > 0) {
    void* map = ::mmap(nullptr, size, PROT_READ, MAP_SHARED, fd, 0);
    if (map == MAP_FAILED) die("mmap " + object.key);
    bytes = resident(map, size);
    ::munmap(map, size);
  }
  if (object.fd < 0) ::close(fd);
  return bytes;
}

void step(const std::string& text) {
  auto p = split(text);
  const std::string& op = p[0];
  auto mib = [&](std::size_t i) { return std::strtoul(p.at(i).c_str(), nullptr, 10) * kMiB; };
  if (op == "write" || op == "shm") {
    int fd = ::open(p.at(1).c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) die("create " + p[1]);
    write_all(fd, mib(2), p[1]);
    ::close(fd);
    objects.push_back({op == "write" ? "file" : "shm", p[1], -1, nullptr, mib(2)});
  } else if (op == "shm-append") {
    int fd = ::open(p.at(1).c_str(), O_WRONLY | O_APPEND);
    if (fd < 0) die("open " + p[1]);
    write_all(fd, mib(2), p[1]);
    ::close(fd);
  } else if (op == "read") {
    int fd = ::open(p.at(1).c_str(), O_RDONLY);
    if (fd < 0) die("open " + p[1]);
    std::vector<char> chunk(kMiB);
    while (::read(fd, chunk.data(), chunk.size()) > 0) {
    }
    ::close(fd);
    objects.push_back({"file", p[1], -1, nullptr, 0});
  } else if (op == "shm-mmap") {
    int fd = ::open(p.at(1).c_str(), O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || ::ftruncate(fd, static_cast<off_t>(mib(2))) != 0) die("create " + p[1]);
    void* map = ::mmap(nullptr, mib(2), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (map == MAP_FAILED) die("mmap " + p[1]);
    fill(map, mib(2));
    ::munmap(map, mib(2));
    ::close(fd);
    objects.push_back({"shm", p[1], -1, nullptr, mib(2)});
  } else if (op == "shm-pageout") {
    int fd = ::open(p.at(1).c_str(), O_RDWR);
    struct stat st {};
    if (fd < 0 || ::fstat(fd, &st) != 0) die("open " + p[1]);
    const auto size = static_cast<std::size_t>(st.st_size);
    void* map = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (map == MAP_FAILED) die("mmap " + p[1]);
    // MADV_PAGEOUT walks page tables: map every page first.
    volatile const char* bytes = static_cast<const char*>(map);
    for (std::size_t offset = 0; offset < size; offset += 4096) (void)bytes[offset];
    if (::madvise(map, size, MADV_PAGEOUT) != 0) die("madvise(MADV_PAGEOUT) " + p[1]);
    ::munmap(map, size);
    ::close(fd);
  } else if (op == "memfd") {
    int fd = ::memfd_create(p.at(1).c_str(), 0);
    if (fd < 0) die("memfd_create");
    write_all(fd, mib(2), "memfd");
    objects.push_back({"memfd", p[1], fd, nullptr, mib(2)});
  } else if (op == "sysv") {
    int id = ::shmget(IPC_PRIVATE, mib(1), IPC_CREAT | 0600);
    if (id < 0) die("shmget");
    void* map = ::shmat(id, nullptr, 0);
    if (map == reinterpret_cast<void*>(-1)) die("shmat");
    ::shmctl(id, IPC_RMID, nullptr);  // freed when the last user detaches
    fill(map, mib(1));
    objects.push_back({"sysv", std::to_string(id), -1, map, mib(1)});
  } else if (op == "shared-anon") {
    void* map = ::mmap(nullptr, mib(1), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (map == MAP_FAILED) die("mmap shared anon");
    fill(map, mib(1));
    objects.push_back({"shared-anon", "", -1, map, mib(1)});
  } else if (op == "anon") {
    void* map = ::mmap(nullptr, mib(1), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (map == MAP_FAILED) die("mmap anon");
    fill(map, mib(1));
  } else if (op == "leak") {
    for (;;) {
      void* block = std::malloc(kMiB);
      if (!block) die("malloc");
      std::memset(block, 1, kMiB);
    }
  } else if (op == "sleep") {
    std::this_thread::sleep_for(std::chrono::milliseconds(std::strtol(p.at(1).c_str(), nullptr, 10)));
  } else if (op == "truth") {
    std::ofstream out(p.at(1));
    for (const Object& object : objects)
      out << ::getpid() << ' ' << object.kind << ' ' << (object.key.empty() ? "-" : object.key) << ' '
          << resident_of(object) << '\n';
    if (!out) die("write " + p[1]);
  } else if (op == "pid") {
    std::ofstream(p.at(1)) << ::getpid() << '\n';
  } else if (op == "hold") {
    pid_t child = ::fork();
    if (child < 0) die("fork");
    if (child == 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(std::strtol(p.at(1).c_str(), nullptr, 10)));
      std::_Exit(0);
    }
  } else {
    errno = EINVAL;
    die("unknown step " + text);
  }
}

}  // namespace

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) step(argv[i]);
  return 0;
}
