#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "parquet/writer.h"

namespace coinlake::parquet {
namespace {

// Pages arrive as many small writes (a header, then its page): gather them into big ones.
constexpr size_t kFileBuffer = 1 << 20;

Status ErrnoError(const std::string& what, const std::string& path) {
  return UnavailableError(what + " " + path + ": " + std::strerror(errno));
}

}  // namespace

Status StringSink::Write(std::string_view bytes) {
  data_.append(bytes);
  return Status::Ok();
}

StatusOr<std::unique_ptr<FileSink>> FileSink::Create(const std::string& path, Sync sync) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoError("cannot create", path);
  return std::unique_ptr<FileSink>(new FileSink(fd, path, sync));
}

FileSink::~FileSink() {
  if (fd_ >= 0) ::close(fd_);
}

Status FileSink::Write(std::string_view bytes) {
  if (fd_ < 0) return FailedPreconditionError("write to a closed file " + path_);
  if (buffer_.size() + bytes.size() > kFileBuffer) RETURN_IF_ERROR(Flush());
  if (bytes.size() >= kFileBuffer) {
    buffer_.assign(bytes);
    return Flush();
  }
  buffer_.append(bytes);
  return Status::Ok();
}

Status FileSink::Flush() {
  const char* p = buffer_.data();
  size_t left = buffer_.size();
  while (left > 0) {
    const ssize_t n = ::write(fd_, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError("cannot write", path_);
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  buffer_.clear();
  return Status::Ok();
}

Status FileSink::Close() {
  if (fd_ < 0) return Status::Ok();
  Status flushed = Flush();
  if (flushed.ok() && sync_ == Sync::kOnClose && ::fsync(fd_) != 0) {
    flushed = ErrnoError("cannot fsync", path_);
  }
  const int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0 && flushed.ok()) flushed = ErrnoError("cannot close", path_);
  return flushed;
}

}  // namespace coinlake::parquet
