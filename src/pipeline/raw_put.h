// Writing a response under its raw/ key, with the tie-break for two different responses that
// carry the same status.timestamp second (docs/lake.md, "Two responses in one second").
//
// Raw keys have one-second resolution and objects are immutable. The first response to claim a
// second keeps the raw/ key. A later, different response of the same second (a restart within
// the second, two cycles racing the clock) is not lost and not an error: it is written under the
// quarantine/ name of that second plus the first 12 hex digits of its body's SHA-256, body and
// sidecar alike, so raw/ keeps one object per endpoint and second (the layout contract) and every
// byte CMC sent stays in the lake. Identical bytes under the same key remain a no-op.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"
#include "lake/object_store.h"

namespace coinlake::pipeline {

// Puts `stored` under `key`. If `key` is a raw/ key already holding different bytes, puts it
// under CollisionKey(key, stored) instead. Returns the key written.
StatusOr<std::string> PutRawObject(lake::ObjectStore& store, const std::string& key,
                                   std::string_view stored);

// Puts a body's sidecar where its body went: under `meta_key` when PutRawObject wrote the body
// under its raw/ key, under the collision key when the body lost the tie-break
// (`body_written` starts with quarantine/ and is that sidecar's own body, by body_sha256).
// Without this, a body that reached raw/ without its sidecar (a kill between the two puts)
// would get the sidecar of a later response. A sidecar that does not belong to the body in
// `body_written` is put as PutRawObject would. Returns the key written.
StatusOr<std::string> PutRawSidecar(lake::ObjectStore& store, const std::string& meta_key,
                                    std::string_view stored, std::string_view body_written);

// The quarantine/ key for a raw/ object that lost the tie-break: a body's suffix is the SHA-256
// of its (uncompressed) body; a sidecar's is the body_sha256 it records, so the pair stays
// together. INVALID_ARGUMENT if `raw_key` is not a raw key.
StatusOr<std::string> CollisionKey(const std::string& raw_key, std::string_view stored);

}  // namespace coinlake::pipeline
