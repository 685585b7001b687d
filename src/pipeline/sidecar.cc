#include "pipeline/sidecar.h"

#include <nlohmann/json.hpp>

#include "common/bytes.h"
#include "common/time_util.h"

namespace coinlake::pipeline {

std::string SidecarJson(const cmc::HttpResponse& response, std::string_view body_sha256) {
  nlohmann::ordered_json meta;
  meta["request"] = response.request;  // never holds the key: it travels in a header
  meta["http_status"] = response.http_status;
  meta["fetch_started"] = FormatIso8601(response.started);
  meta["fetch_finished"] = FormatIso8601(response.finished);
  meta["body_sha256"] = body_sha256;
  meta["body_size"] = response.body.size();
  meta["coinlake_version"] = COINLAKE_VERSION;
  return meta.dump(2) + "\n";
}

std::string RecoveredSidecarJson(std::string_view stored) {
  StatusOr<std::string> body = LooksGzipped(stored) ? GzipDecompress(stored) : std::string(stored);
  std::string_view plain = body.ok() ? std::string_view(*body) : stored;  // hash what is there
  nlohmann::ordered_json meta;
  meta["request"] = nullptr;
  meta["http_status"] = nullptr;
  meta["fetch_started"] = nullptr;
  meta["fetch_finished"] = nullptr;
  meta["body_sha256"] = Sha256Hex(plain);
  meta["body_size"] = plain.size();
  meta["coinlake_version"] = COINLAKE_VERSION;
  meta["recovered"] =
      "the process stopped between spooling the body and its sidecar; this sidecar was rebuilt "
      "from the body";
  return meta.dump(2) + "\n";
}

}  // namespace coinlake::pipeline
