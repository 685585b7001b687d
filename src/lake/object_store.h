// ObjectStore: the lake's storage interface (file, memory; S3 in s3_object_store.h).
//
// Semantics every backend obeys (tests/lake conformance suite checks them):
// - Objects are immutable. Put never overwrites: if the key exists with the same bytes it is a
//   no-op (OK); with different bytes it is DATA_LOSS and the stored object is left untouched.
// - A Put that returns OK is durable (fsync'd, or acknowledged by S3); a failed Put leaves no
//   partial object under the key.
// - List returns keys in lexicographic (byte) order, at most `max_keys` per page, and a token
//   for the next page while more remain. A listing sees every object put before it started.
// - Keys are '/'-separated paths of printable characters with no "." or ".." segments.
// Implementations are thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "common/stop_signal.h"

namespace coinlake::lake {

struct ObjectInfo {
  std::string key;
  int64_t size = 0;
};

struct ListPage {
  std::vector<ObjectInfo> objects;
  std::optional<std::string> next_token;  // set while more objects remain
};

class ObjectStore {
 public:
  virtual ~ObjectStore() = default;

  virtual Status Put(const std::string& key, std::string_view data) = 0;
  // Put of a local file's contents, with Put's rules. The file store copies it a block at a
  // time, S3 sends a larger file in parts; the memory store reads it whole.
  virtual Status PutFile(const std::string& key, const std::string& path);
  // NOT_FOUND if absent.
  virtual StatusOr<std::string> Get(const std::string& key) = 0;
  virtual StatusOr<ObjectInfo> Head(const std::string& key) = 0;
  virtual StatusOr<ListPage> List(const std::string& prefix,
                                  const std::optional<std::string>& token, int max_keys) = 0;
  // Removes a derived object (IsDerivedKey: under curated/), which a newer one replaced; OK if it
  // is already gone. Anything else is PERMISSION_DENIED: raw/ and quarantine/ are the source of
  // truth and are never deleted, whoever asks.
  virtual Status Delete(const std::string& key) = 0;

  // The store's URL, for logs (file:///..., s3://bucket/prefix). Never contains secrets.
  virtual std::string url() const = 0;

  // Convenience: every page of List, concatenated. Memory grows with the listing: use List
  // directly to stream very large prefixes.
  StatusOr<std::vector<ObjectInfo>> ListAll(const std::string& prefix);
};

// Checks a key against the rules above; INVALID_ARGUMENT says why it is refused.
Status ValidateKey(const std::string& key);

// Whether `key` holds data derived from raw/ (curated/), which may be rebuilt and replaced.
bool IsDerivedKey(std::string_view key);
// ValidateKey, and PERMISSION_DENIED unless IsDerivedKey: what every Delete checks first.
Status ValidateDeletableKey(const std::string& key);

// Opens a store from a lake URL: file:///abs/path, a plain path, s3://bucket/prefix (see
// s3_object_store.h; credentials from the AWS chain in aws_credentials.h), or memory:// (tests).
// `stop`, when given, interrupts an S3 store's retries and requests in flight.
StatusOr<std::unique_ptr<ObjectStore>> OpenObjectStore(const std::string& url,
                                                       StopSignal* stop = nullptr);

}  // namespace coinlake::lake
