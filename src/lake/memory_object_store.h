// An in-memory ObjectStore, for tests. Same semantics as the others (see object_store.h).
#pragma once

#include <map>
#include <mutex>

#include "lake/object_store.h"

namespace coinlake::lake {

class MemoryObjectStore : public ObjectStore {
 public:
  Status Put(const std::string& key, std::string_view data) override;
  StatusOr<std::string> Get(const std::string& key) override;
  StatusOr<ObjectInfo> Head(const std::string& key) override;
  Status Delete(const std::string& key) override;
  StatusOr<ListPage> List(const std::string& prefix, const std::optional<std::string>& token,
                          int max_keys) override;
  std::string url() const override { return "memory://"; }

 private:
  std::mutex mu_;
  std::map<std::string, std::string> objects_;
};

}  // namespace coinlake::lake
