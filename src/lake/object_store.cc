#include "lake/object_store.h"

#include <fmt/format.h>

#include <filesystem>

#include "lake/file_object_store.h"
#include "lake/memory_object_store.h"
#include "lake/s3_object_store.h"

namespace coinlake::lake {

StatusOr<std::vector<ObjectInfo>> ObjectStore::ListAll(const std::string& prefix) {
  std::vector<ObjectInfo> all;
  std::optional<std::string> token;
  do {
    ASSIGN_OR_RETURN(ListPage page, List(prefix, token, 1000));
    for (ObjectInfo& o : page.objects) all.push_back(std::move(o));
    token = std::move(page.next_token);
  } while (token);
  return all;
}

Status ValidateKey(const std::string& key) {
  if (key.empty() || key.size() > 1024)
    return InvalidArgumentError("object key is empty or too long");
  if (key.front() == '/' || key.back() == '/') {
    return InvalidArgumentError(fmt::format("object key '{}' starts or ends with '/'", key));
  }
  size_t start = 0;
  while (start <= key.size()) {
    size_t end = key.find('/', start);
    if (end == std::string::npos) end = key.size();
    std::string_view segment(key.data() + start, end - start);
    if (segment.empty() || segment == "." || segment == "..") {
      return InvalidArgumentError(
          fmt::format("object key '{}' has an empty, '.' or '..' segment", key));
    }
    start = end + 1;
  }
  for (unsigned char c : key) {
    if (c < 0x20 || c == 0x7f || c == '\\') {
      return InvalidArgumentError(fmt::format("object key has a control character or backslash"));
    }
  }
  return Status::Ok();
}

bool IsDerivedKey(std::string_view key) { return key.starts_with("curated/"); }

Status ValidateDeletableKey(const std::string& key) {
  RETURN_IF_ERROR(ValidateKey(key));
  if (!IsDerivedKey(key)) {
    return PermissionDeniedError(fmt::format(
        "refusing to delete '{}': only derived objects (curated/) are ever deleted", key));
  }
  return Status::Ok();
}

StatusOr<std::unique_ptr<ObjectStore>> OpenObjectStore(const std::string& url, StopSignal* stop) {
  if (url == "memory://" || url.rfind("memory://", 0) == 0) {
    return std::unique_ptr<ObjectStore>(std::make_unique<MemoryObjectStore>());
  }
  if (url.rfind("s3://", 0) == 0) {
    ASSIGN_OR_RETURN(S3Location location, ParseS3Url(url));
    aws::AwsEnvironment env = aws::AwsEnvironment::FromEnvironment();
    if (location.region.empty()) location.region = aws::ResolveRegion(env);
    if (location.region.empty()) location.region = "us-east-1";
    ASSIGN_OR_RETURN(auto store,
                     S3ObjectStore::Open(std::move(location), aws::MakeDefaultCredentialChain(env),
                                         BackoffPolicy{}, stop));
    return std::unique_ptr<ObjectStore>(std::move(store));
  }
  std::string path;
  if (url.rfind("file://", 0) == 0) {
    path = url.substr(7);
    if (path.empty() || path.front() != '/') {
      return InvalidArgumentError(fmt::format("lake URL '{}' must be file:///absolute/path", url));
    }
  } else if (url.find("://") != std::string::npos) {
    return InvalidArgumentError(fmt::format("lake URL '{}' is not file://, s3:// or a path", url));
  } else {
    path = std::filesystem::absolute(url).string();
  }
  ASSIGN_OR_RETURN(auto store, FileObjectStore::Open(path));
  return std::unique_ptr<ObjectStore>(std::move(store));
}

}  // namespace coinlake::lake
