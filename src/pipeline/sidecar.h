// The sidecar (.meta.json) the lake keeps beside every body: how the body was fetched, and its
// checksum, so the lake can be audited without the database.
#pragma once

#include <string>
#include <string_view>

#include "cmc/client.h"

namespace coinlake::pipeline {

// The sidecar of a body just fetched: request (never the key: it travels in a header), HTTP
// status, fetch times, the plain body's SHA-256 and size, and the coinlake version.
std::string SidecarJson(const cmc::HttpResponse& response, std::string_view body_sha256);

// The sidecar of a spooled body whose own sidecar was never spooled: the process died between
// the two spool writes. What the body itself tells is kept; the request, status and fetch times
// died with the process, so they are null, and `recovered` says why. `stored` is the body as
// spooled (gzip'd).
std::string RecoveredSidecarJson(std::string_view stored);

}  // namespace coinlake::pipeline
