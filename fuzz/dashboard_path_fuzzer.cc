// A dashboard request path, URL-decoded as httplib does, through the static-file lookup
// (dashboard::FindStaticFile). Contract: no crash; only names in the embedded web table resolve,
// so no "..", backslash or encoded NUL reaches anything else; a resolved file has a content
// type.
#include <httplib.h>

#include "dashboard/server.h"
#include "fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace coinlake;
  std::string target(fuzz::AsText(data, size));
  std::string path = httplib::detail::decode_url(target.substr(0, target.find('?')), false);
  if (!path.starts_with("/")) return 0;  // httplib answers 400 before routing
  std::string name = path.substr(1);
  auto file = dashboard::FindStaticFile(name);
  if (!file) return 0;
  fuzz::Require(!file->content_type.empty(), "a static file without a content type");
  fuzz::Require(name.find("..") == std::string::npos && name.find('\\') == std::string::npos &&
                    name.find('\0') == std::string::npos,
                "a path with '..', a backslash or NUL resolved to a file");
  return 0;
}
