#include "fsutil.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>

namespace oomtrace {

Result<std::string> read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail("cannot read {}: {}", path.string(), errno_text(errno));
  std::ostringstream content;
  content << in.rdbuf();
  if (in.bad()) return fail("cannot read {}: {}", path.string(), errno_text(errno));
  return content.str();
}

Result<void> write_knob(const std::filesystem::path& path, std::string_view text) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return fail("cannot open {}: {}", path.string(), errno_text(errno));
  ssize_t written = ::write(fd, text.data(), text.size());
  int err = errno;
  ::close(fd);
  if (written != static_cast<ssize_t>(text.size()))
    return fail("cannot write '{}' to {}: {}", text, path.string(), errno_text(err));
  return {};
}

Result<void> write_atomically(const std::filesystem::path& path, std::string_view content) {
  auto temp = path;
  temp += fmt::format(".tmp.{}", ::getpid());
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return fail("cannot create {}: {}", temp.string(), errno_text(errno));
  const char* data = content.data();
  std::size_t left = content.size();
  while (left > 0) {
    ssize_t n = ::write(fd, data, left);
    if (n < 0) {
      int err = errno;
      ::close(fd);
      ::unlink(temp.c_str());
      return fail("cannot write {}: {}", temp.string(), errno_text(err));
    }
    data += n;
    left -= static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    int err = errno;
    ::unlink(temp.c_str());
    return fail("cannot write {}: {}", temp.string(), errno_text(err));
  }
  if (std::rename(temp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(temp.c_str());
    return fail("cannot rename {} to {}: {}", temp.string(), path.string(), errno_text(err));
  }
  return {};
}

}  // namespace oomtrace
