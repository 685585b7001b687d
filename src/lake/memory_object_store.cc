#include "lake/memory_object_store.h"

#include <fmt/format.h>

namespace coinlake::lake {

Status MemoryObjectStore::Put(const std::string& key, std::string_view data) {
  RETURN_IF_ERROR(ValidateKey(key));
  std::lock_guard lock(mu_);
  auto [it, inserted] = objects_.try_emplace(key, data);
  if (!inserted && it->second != data) {
    return DataLossError(
        fmt::format("object {} exists with different content; not overwritten", key));
  }
  return Status::Ok();
}

StatusOr<std::string> MemoryObjectStore::Get(const std::string& key) {
  std::lock_guard lock(mu_);
  auto it = objects_.find(key);
  if (it == objects_.end()) return NotFoundError(fmt::format("no object {}", key));
  return it->second;
}

StatusOr<ObjectInfo> MemoryObjectStore::Head(const std::string& key) {
  std::lock_guard lock(mu_);
  auto it = objects_.find(key);
  if (it == objects_.end()) return NotFoundError(fmt::format("no object {}", key));
  return ObjectInfo{key, static_cast<int64_t>(it->second.size())};
}

Status MemoryObjectStore::Delete(const std::string& key) {
  RETURN_IF_ERROR(ValidateDeletableKey(key));
  std::lock_guard lock(mu_);
  objects_.erase(key);
  return Status::Ok();
}

StatusOr<ListPage> MemoryObjectStore::List(const std::string& prefix,
                                           const std::optional<std::string>& token, int max_keys) {
  std::lock_guard lock(mu_);
  ListPage page;
  auto it = token ? objects_.upper_bound(*token) : objects_.lower_bound(prefix);
  for (; it != objects_.end() && it->first.starts_with(prefix); ++it) {
    if (static_cast<int>(page.objects.size()) == max_keys) {
      page.next_token = page.objects.back().key;
      break;
    }
    page.objects.push_back({it->first, static_cast<int64_t>(it->second.size())});
  }
  return page;
}

}  // namespace coinlake::lake
