#include "common/atomic_file.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

namespace coinlake {

Status WriteFileAtomically(const std::string& path, std::string_view text, mode_t mode,
                           bool durable) {
  std::string tmp = fmt::format("{}.{}.tmp", path, getpid());
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) {
    return UnavailableError(fmt::format("cannot write {}: {}", tmp, std::strerror(errno)));
  }
  fchmod(fd, mode);  // the umask narrows open's mode; the caller's mode is meant
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  bool ok = done == text.size() && fsync(fd) == 0;
  int saved = errno;
  ok = close(fd) == 0 && ok;
  if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0) {
    if (ok) saved = errno;
    unlink(tmp.c_str());
    return UnavailableError(fmt::format("cannot write {}: {}", path, std::strerror(saved)));
  }
  if (!durable) return Status::Ok();
  std::string folder = std::filesystem::path(path).parent_path().string();
  return FsyncFolder(folder.empty() ? "." : folder);
}

Status FsyncFolder(const std::string& folder) {
  int fd = open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    return UnavailableError(fmt::format("cannot open {}: {}", folder, std::strerror(errno)));
  }
  bool ok = fsync(fd) == 0;
  int saved = errno;
  close(fd);
  if (!ok)
    return UnavailableError(fmt::format("cannot fsync {}: {}", folder, std::strerror(saved)));
  return Status::Ok();
}

}  // namespace coinlake
