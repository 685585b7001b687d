// Byte-level helpers: gzip, SHA-256, hex and base64.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"

struct evp_md_ctx_st;

namespace coinlake {

// gzip (RFC 1952) at the given zlib level (1 fast .. 9 small).
StatusOr<std::string> GzipCompress(std::string_view data, int level = 6);

// Inflates gzip or zlib data. Fails rather than allocating past `max_output` bytes, so a gzip
// bomb is an error, not an out-of-memory kill.
StatusOr<std::string> GzipDecompress(std::string_view data, size_t max_output = size_t{1} << 30);
// The same into `out`, whose capacity is reused: a caller inflating object after object into one
// buffer spares allocating and first-touching megabytes each time. `out` is unspecified on error.
Status GzipDecompressInto(std::string_view data, std::string& out,
                          size_t max_output = size_t{1} << 30);

// True when the data starts with the gzip magic bytes.
bool LooksGzipped(std::string_view data);

// Raw 32-byte digest.
std::string Sha256(std::string_view data);
std::string Sha256Hex(std::string_view data);
// Of a file's contents, read a block at a time (memory does not grow with the file).
StatusOr<std::string> Sha256HexOfFile(const std::string& path);

// SHA-256 of bytes that come in pieces.
class Sha256Stream {
 public:
  Sha256Stream();
  ~Sha256Stream();
  Sha256Stream(const Sha256Stream&) = delete;
  Sha256Stream& operator=(const Sha256Stream&) = delete;
  void Update(std::string_view bytes);
  // The hex digest of everything updated so far; the stream is then spent.
  std::string HexDigest();

 private:
  evp_md_ctx_st* ctx_;
};
std::string HexEncode(std::string_view bytes);
std::string Base64Encode(std::string_view bytes);

}  // namespace coinlake
