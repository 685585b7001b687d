// An ObjectStore on a local folder: one file per object at <root>/<key>.
//
// Put writes a temporary file in <root>/.tmp-publishing/, fsyncs it, links it into place (link(2)
// fails if the name exists, so nothing is ever overwritten, even by a concurrent writer), then
// fsyncs the folder. The writer holds an flock(2) on its temporary until it is gone; a crash
// leaves the file unlocked, and the next Open removes it. The root must be one file system.
#pragma once

#include <functional>
#include <string>

#include "lake/object_store.h"

namespace coinlake::lake {

class FileObjectStore : public ObjectStore {
 public:
  // Creates the root folder if needed and removes killed writers' temporaries. FAILED_PRECONDITION
  // if it cannot be created or written.
  static StatusOr<std::unique_ptr<FileObjectStore>> Open(const std::string& root);

  Status Put(const std::string& key, std::string_view data) override;
  Status PutFile(const std::string& key, const std::string& path) override;
  StatusOr<std::string> Get(const std::string& key) override;
  StatusOr<ObjectInfo> Head(const std::string& key) override;
  Status Delete(const std::string& key) override;
  StatusOr<ListPage> List(const std::string& prefix, const std::optional<std::string>& token,
                          int max_keys) override;
  std::string url() const override { return "file://" + root_; }

  // Removes any object, raw/ too. Not part of ObjectStore, whose Delete refuses all but
  // curated/: only the spool, which is a FileObjectStore too, removes what it has handed on.
  Status RemoveFromSpool(const std::string& key);

  const std::string& root() const { return root_; }

 private:
  Status Publish(const std::string& key, const std::function<Status(int fd)>& fill,
                 const std::function<StatusOr<bool>(const std::string&)>& same);
  FileObjectStore(std::string root, std::string temp_dir)
      : root_(std::move(root)), temp_dir_(std::move(temp_dir)) {}
  std::string root_;
  std::string temp_dir_;  // where Publish writes its temporaries: <root>/.tmp-publishing
};

}  // namespace coinlake::lake
