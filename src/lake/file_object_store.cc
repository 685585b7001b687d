#include "lake/file_object_store.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <functional>
#include <random>
#include <vector>

#include "common/bytes.h"

namespace coinlake::lake {
namespace fs = std::filesystem;
namespace {

// Every publication writes its temporary file in one folder under the root, named with this
// prefix, and holds an flock(2) on it until the object is in place. The lock dies with its
// process, so an unlocked temporary is an orphan of a killed writer.
constexpr std::string_view kTempPrefix = ".tmp-";
constexpr std::string_view kTempDir = ".tmp-publishing";

Status ErrnoError(std::string_view what, const std::string& path, int err) {
  std::string text = fmt::format("{} {}: {}", what, path, std::strerror(err));
  if (err == ENOSPC || err == EDQUOT) return ResourceExhaustedError(text);
  if (err == EACCES || err == EPERM || err == EROFS) return PermissionDeniedError(text);
  if (err == ENOENT) return NotFoundError(text);
  return UnavailableError(text);
}

Status FsyncPath(const std::string& path, int flags) {
  int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) return ErrnoError("open", path, errno);
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  if (rc != 0) return ErrnoError("fsync", path, err);
  return Status::Ok();
}

// Creates each missing folder of `dir` below `root`, fsyncing each parent so the new entry is
// durable too.
Status MakeDirs(const std::string& root, const fs::path& dir) {
  fs::path current = root;
  for (const fs::path& part : fs::relative(dir, root)) {
    fs::path next = current / part;
    if (::mkdir(next.c_str(), 0755) == 0) {
      RETURN_IF_ERROR(FsyncPath(current.string(), O_RDONLY | O_DIRECTORY));
    } else if (errno != EEXIST) {
      return ErrnoError("mkdir", next.string(), errno);
    }
    current = next;
  }
  return Status::Ok();
}

StatusOr<std::string> ReadFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoError("open", path, errno);
  std::string data;
  struct stat st {};
  if (::fstat(fd, &st) == 0 && st.st_size > 0) data.reserve(static_cast<size_t>(st.st_size));
  char buffer[1 << 16];
  while (true) {
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      return ErrnoError("read", path, err);
    }
    if (n == 0) break;
    data.append(buffer, static_cast<size_t>(n));
  }
  ::close(fd);
  return data;
}

Status WriteAll(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError("write", path, errno);
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return Status::Ok();
}

// Creates a temporary file in `temp_dir` and locks it. A sweep in another process may take the
// lock in the instant between the two and remove the file; then it starts over with a new name.
StatusOr<int> CreateLockedTemporary(const fs::path& temp_dir, fs::path* temp) {
  thread_local std::mt19937_64 rng(std::random_device{}());
  while (true) {
    *temp = temp_dir / fmt::format("{}{:016x}", kTempPrefix, rng());
    int fd = ::open(temp->c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) return ErrnoError("create", temp->string(), errno);
    struct stat st {};
    if (::flock(fd, LOCK_EX) != 0 || ::fstat(fd, &st) != 0) {
      int err = errno;
      ::close(fd);
      return ErrnoError("lock", temp->string(), err);
    }
    if (st.st_nlink > 0) return fd;
    ::close(fd);  // swept away before we held it
  }
}

// Removes the temporaries of `temp_dir` that no live writer holds: a killed writer's lock is
// gone with it. Best effort: one that cannot be removed now is tried again at the next open.
void SweepOrphanedTemporaries(const fs::path& temp_dir) {
  std::error_code ec;
  for (auto it = fs::directory_iterator(temp_dir, ec); !ec && it != fs::directory_iterator();
       it.increment(ec)) {
    const fs::path& path = it->path();
    if (!path.filename().string().starts_with(kTempPrefix)) continue;
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) continue;
    struct stat held {};
    struct stat named {};
    // Still the same file under that name once locked: its writer may have finished meanwhile.
    if (::flock(fd, LOCK_EX | LOCK_NB) == 0 && ::fstat(fd, &held) == 0 &&
        ::stat(path.c_str(), &named) == 0 && held.st_ino == named.st_ino &&
        held.st_dev == named.st_dev) {
      ::unlink(path.c_str());
    }
    ::close(fd);
  }
}

}  // namespace

StatusOr<std::unique_ptr<FileObjectStore>> FileObjectStore::Open(const std::string& root) {
  std::error_code ec;
  fs::create_directories(fs::path(root) / kTempDir, ec);
  if (ec) {
    return FailedPreconditionError(
        fmt::format("cannot create lake folder {}: {}", root, ec.message()));
  }
  if (::access(root.c_str(), W_OK | X_OK) != 0) {
    return FailedPreconditionError(
        fmt::format("lake folder {} is not writable: {}", root, std::strerror(errno)));
  }
  std::string canonical = fs::canonical(root, ec).string();
  if (ec) canonical = root;
  std::string temp_dir = (fs::path(canonical) / kTempDir).string();
  SweepOrphanedTemporaries(temp_dir);
  return std::unique_ptr<FileObjectStore>(new FileObjectStore(canonical, temp_dir));
}

// Writes a locked temporary file with `fill` (then fsyncs it) and links it into place:
// create-only, atomically. If the name exists, `same` says whether it holds these bytes (a
// no-op) or others (DATA_LOSS, never overwritten).
Status FileObjectStore::Publish(const std::string& key, const std::function<Status(int fd)>& fill,
                                const std::function<StatusOr<bool>(const std::string&)>& same) {
  RETURN_IF_ERROR(ValidateKey(key));
  if (key.starts_with(kTempPrefix)) {
    return InvalidArgumentError(fmt::format("object key '{}' is reserved for temporaries", key));
  }
  fs::path target = fs::path(root_) / key;
  fs::path dir = target.parent_path();
  RETURN_IF_ERROR(MakeDirs(root_, dir));

  fs::path temp;
  ASSIGN_OR_RETURN(int fd, CreateLockedTemporary(temp_dir_, &temp));
  // The lock is held until the temporary's name is gone, so no sweep can take it meanwhile.
  auto unlink_and_close = [&] {
    ::unlink(temp.c_str());
    ::close(fd);
  };
  Status written = fill(fd);
  if (written.ok() && ::fsync(fd) != 0) written = ErrnoError("fsync", temp.string(), errno);
  if (!written.ok()) {
    unlink_and_close();
    return written;
  }
  // link(2) refuses to replace an existing name: create-only, atomically.
  if (::link(temp.c_str(), target.c_str()) != 0) {
    int err = errno;
    unlink_and_close();
    if (err != EEXIST) return ErrnoError("link", target.string(), err);
    ASSIGN_OR_RETURN(bool equal, same(target.string()));
    if (!equal) {
      return DataLossError(
          fmt::format("object {} exists with different content; not overwritten", key));
    }
    return Status::Ok();
  }
  unlink_and_close();
  return FsyncPath(dir.string(), O_RDONLY | O_DIRECTORY);
}

Status FileObjectStore::Put(const std::string& key, std::string_view data) {
  return Publish(
      key, [&](int fd) { return WriteAll(fd, data, key); },
      [&](const std::string& existing) -> StatusOr<bool> {
        ASSIGN_OR_RETURN(std::string stored, ReadFile(existing));
        return stored == data;
      });
}

Status FileObjectStore::Delete(const std::string& key) {
  RETURN_IF_ERROR(ValidateDeletableKey(key));
  return RemoveFromSpool(key);
}

Status FileObjectStore::PutFile(const std::string& key, const std::string& path) {
  // A copy (not a link of `path`: it may be on another file system), a block at a time.
  auto copy = [&](int fd) -> Status {
    int in = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (in < 0)
      return UnavailableError(fmt::format("cannot read {}: {}", path, std::strerror(errno)));
    std::vector<char> block(1 << 20);
    Status status = Status::Ok();
    while (status.ok()) {
      ssize_t n = ::read(in, block.data(), block.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) status = ErrnoError("read", path, errno);
      if (n <= 0) break;
      status = WriteAll(fd, std::string_view(block.data(), static_cast<size_t>(n)), key);
    }
    ::close(in);
    return status;
  };
  return Publish(key, copy, [&](const std::string& existing) -> StatusOr<bool> {
    ASSIGN_OR_RETURN(std::string stored, Sha256HexOfFile(existing));
    ASSIGN_OR_RETURN(std::string wanted, Sha256HexOfFile(path));
    return stored == wanted;
  });
}

StatusOr<std::string> FileObjectStore::Get(const std::string& key) {
  RETURN_IF_ERROR(ValidateKey(key));
  auto data = ReadFile((fs::path(root_) / key).string());
  if (!data.ok() && data.status().code() == StatusCode::kNotFound) {
    return NotFoundError(fmt::format("no object {}", key));
  }
  return data;
}

StatusOr<ObjectInfo> FileObjectStore::Head(const std::string& key) {
  RETURN_IF_ERROR(ValidateKey(key));
  struct stat st {};
  std::string path = (fs::path(root_) / key).string();
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
    return NotFoundError(fmt::format("no object {}", key));
  }
  return ObjectInfo{key, static_cast<int64_t>(st.st_size)};
}

StatusOr<ListPage> FileObjectStore::List(const std::string& prefix,
                                         const std::optional<std::string>& token, int max_keys) {
  // Walk only the deepest folder that can hold keys with this prefix.
  std::string dir_part =
      prefix.substr(0, prefix.rfind('/') == std::string::npos ? 0 : prefix.rfind('/'));
  fs::path start = dir_part.empty() ? fs::path(root_) : fs::path(root_) / dir_part;
  std::vector<ObjectInfo> found;
  std::error_code ec;
  if (fs::is_directory(start, ec)) {
    for (auto it = fs::recursive_directory_iterator(start, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (!it->is_regular_file(ec)) continue;
      if (it->path().filename().string().starts_with(kTempPrefix)) continue;
      // Lexical: the walk's paths start with root_ as given. fs::relative would resolve every
      // component of both paths (a realpath per file), which made listing a year's lake take
      // seconds a page.
      std::string key = it->path().lexically_relative(root_).string();
      if (!key.starts_with(prefix)) continue;
      if (token && key <= *token) continue;
      found.push_back({std::move(key), static_cast<int64_t>(it->file_size(ec))});
    }
    if (ec)
      return UnavailableError(fmt::format("cannot list {}: {}", start.string(), ec.message()));
  }
  std::sort(found.begin(), found.end(), [](auto& a, auto& b) { return a.key < b.key; });
  ListPage page;
  if (static_cast<int>(found.size()) > max_keys) {
    found.resize(static_cast<size_t>(max_keys));
    page.next_token = found.back().key;
  }
  page.objects = std::move(found);
  return page;
}

Status FileObjectStore::RemoveFromSpool(const std::string& key) {
  RETURN_IF_ERROR(ValidateKey(key));
  fs::path target = fs::path(root_) / key;
  if (::unlink(target.c_str()) != 0 && errno != ENOENT) {
    return ErrnoError("unlink", target.string(), errno);
  }
  return FsyncPath(target.parent_path().string(), O_RDONLY | O_DIRECTORY);
}

}  // namespace coinlake::lake
