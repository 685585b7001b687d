#include "pipeline/raw_put.h"

#include <nlohmann/json.hpp>

#include "common/bytes.h"
#include "common/log.h"
#include "lake/keys.h"

namespace coinlake::pipeline {

StatusOr<std::string> CollisionKey(const std::string& raw_key, std::string_view stored) {
  ASSIGN_OR_RETURN(lake::RawKey parts, lake::ParseRawKey(raw_key));
  std::string body_sha;
  if (parts.is_meta) {
    auto meta = nlohmann::json::parse(stored, nullptr, /*allow_exceptions=*/false);
    if (meta.is_object() && meta.value("body_sha256", "").size() >= 12) {
      body_sha = meta["body_sha256"].get<std::string>();
    } else {
      body_sha = Sha256Hex(stored);  // no usable sidecar: its own hash still keeps it apart
    }
  } else if (LooksGzipped(stored)) {
    ASSIGN_OR_RETURN(std::string body, GzipDecompress(stored));
    body_sha = Sha256Hex(body);
  } else {
    body_sha = Sha256Hex(stored);
  }
  std::string key = lake::QuarantineKey(parts.endpoint, parts.data_time, body_sha);
  return parts.is_meta ? lake::SidecarKeyOf(key) : key;
}

StatusOr<std::string> PutRawObject(lake::ObjectStore& store, const std::string& key,
                                   std::string_view stored) {
  Status put = store.Put(key, stored);
  if (put.ok()) return key;
  if (put.code() != StatusCode::kDataLoss || !key.starts_with("raw/")) return put;
  ASSIGN_OR_RETURN(std::string other, CollisionKey(key, stored));
  RETURN_IF_ERROR(store.Put(other, stored));
  log::Warn("a different response of the same second holds the raw key: kept in quarantine",
            {{"key", key}, {"written_as", other}, {"store", store.url()}});
  return other;
}

StatusOr<std::string> PutRawSidecar(lake::ObjectStore& store, const std::string& meta_key,
                                    std::string_view stored, std::string_view body_written) {
  if (meta_key.starts_with("raw/") && body_written.starts_with("quarantine/")) {
    ASSIGN_OR_RETURN(std::string key, CollisionKey(meta_key, stored));
    // Only the quarantined body's own sidecar follows it. The sidecar of the response that kept
    // the raw/ key can come right after another response's body (a kill between that body's
    // put and its sidecar's, then a restart within the same second): it belongs beside its
    // body in raw/.
    if (lake::IsSidecarOf(key, body_written)) {
      RETURN_IF_ERROR(store.Put(key, stored));
      return key;
    }
  }
  return PutRawObject(store, meta_key, stored);
}

}  // namespace coinlake::pipeline
