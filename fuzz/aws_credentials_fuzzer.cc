// What the AWS credential chain reads from outside (src/lake/aws_credentials.h): the container
// endpoint's / IMDS's JSON document, and the INI-style ~/.aws/credentials and ~/.aws/config.
// Input: a first line choosing the variant ("json", or "credentials <profile>" / "config
// <profile>"), then the document. Contract: no crash; failures are UNAVAILABLE (JSON) or
// NOT_FOUND (profiles); parsed profile values carry no surrounding whitespace.
#include <cctype>

#include "aws/credentials.h"
#include "fuzz/fuzz_support.h"

namespace {

bool Trimmed(const std::string& s) {
  return s.empty() || (!std::isspace(static_cast<unsigned char>(s.front())) &&
                       !std::isspace(static_cast<unsigned char>(s.back())));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace coinlake;
  fuzz::QuietLogs();
  auto [head, document] = fuzz::SplitFirstLine(fuzz::AsText(data, size));
  if (head.starts_with("credentials ") || head.starts_with("config ")) {
    bool config_style = head.starts_with("config ");
    std::string profile(head.substr(head.find(' ') + 1));
    auto creds = aws::CredentialsFromProfile(document, profile, config_style);
    fuzz::RequireCode(creds.status(), "CredentialsFromProfile", {StatusCode::kNotFound});
    if (creds.ok()) {
      fuzz::Require(Trimmed(creds->access_key_id) && Trimmed(creds->secret_access_key) &&
                        Trimmed(creds->session_token),
                    "a profile value keeps surrounding whitespace");
    }
    return 0;
  }
  auto creds = aws::ParseTemporaryCredentials(std::string(document), "imds role fuzz");
  fuzz::RequireCode(creds.status(), "ParseTemporaryCredentials", {StatusCode::kUnavailable});
  return 0;
}
