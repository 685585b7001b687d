// Replacing a small file whole: a reader sees the old contents or the new ones, never half.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>

#include "common/status.h"

namespace coinlake {

// Writes `text` to a temporary file beside `path` (its name ends in ".<pid>.tmp", so readers that
// match a suffix such as node_exporter's *.prom skip it), fsyncs it, sets `mode` (whatever the
// umask), and renames it over `path`. With `durable`, the folder is fsync'd too, so the rename
// itself survives a crash. UNAVAILABLE naming the file on any failure; no temporary file stays.
Status WriteFileAtomically(const std::string& path, std::string_view text, mode_t mode,
                           bool durable);

// fsyncs a folder: what makes a rename or an unlink in it durable.
Status FsyncFolder(const std::string& folder);

}  // namespace coinlake
