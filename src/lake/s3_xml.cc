#include "lake/s3_xml.h"

#include <expat.h>
#include <fmt/format.h>

#include <charconv>
#include <functional>
#include <memory>

namespace coinlake::lake {
namespace {

// Walks a document and hands each leaf element's text to `on_text` with its path from the root
// ("ListBucketResult/Contents/Key"); `on_end` sees every closing element's path.
struct Walker {
  std::vector<std::string> stack;
  std::string text;
  std::function<void(const std::string& path, const std::string& text)> on_text;
  std::function<void(const std::string& path)> on_end;

  std::string Path() const {
    std::string p;
    for (const auto& s : stack) {
      if (!p.empty()) p.push_back('/');
      p += s;
    }
    return p;
  }
};

void XMLCALL StartElement(void* data, const XML_Char* name, const XML_Char**) {
  auto* w = static_cast<Walker*>(data);
  w->stack.emplace_back(name);
  w->text.clear();
}

void XMLCALL EndElement(void* data, const XML_Char*) {
  auto* w = static_cast<Walker*>(data);
  std::string path = w->Path();
  w->on_text(path, w->text);
  w->on_end(path);
  w->text.clear();
  w->stack.pop_back();
}

void XMLCALL CharacterData(void* data, const XML_Char* s, int len) {
  static_cast<Walker*>(data)->text.append(s, static_cast<size_t>(len));
}

Status Walk(std::string_view xml, std::string_view root, Walker& walker) {
  std::unique_ptr<std::remove_pointer_t<XML_Parser>, decltype(&XML_ParserFree)> parser(
      XML_ParserCreate("UTF-8"), &XML_ParserFree);
  if (!parser) return InternalError("cannot create an XML parser");
  XML_SetUserData(parser.get(), &walker);
  XML_SetElementHandler(parser.get(), StartElement, EndElement);
  XML_SetCharacterDataHandler(parser.get(), CharacterData);
  bool root_seen = false;
  auto on_end = walker.on_end;
  walker.on_end = [&](const std::string& path) {
    if (path == root) root_seen = true;
    on_end(path);
  };
  if (XML_Parse(parser.get(), xml.data(), static_cast<int>(xml.size()), XML_TRUE) !=
      XML_STATUS_OK) {
    return InternalError(fmt::format("malformed S3 XML ({} at line {})",
                                     XML_ErrorString(XML_GetErrorCode(parser.get())),
                                     XML_GetCurrentLineNumber(parser.get())));
  }
  if (!root_seen) return InternalError(fmt::format("S3 XML has no <{}> root", root));
  return Status::Ok();
}

bool ParseInt(const std::string& text, int64_t* out) {
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && ptr == text.data() + text.size() && *out >= 0;
}

}  // namespace

StatusOr<S3ListResult> ParseListBucketResult(std::string_view xml) {
  S3ListResult result;
  S3ListResult::Entry entry;
  bool has_key = false, has_size = false, has_truncated = false, bad_number = false;
  Walker walker;
  walker.on_text = [&](const std::string& path, const std::string& text) {
    if (path == "ListBucketResult/Contents/Key") {
      entry.key = text;
      has_key = true;
    } else if (path == "ListBucketResult/Contents/Size") {
      has_size = ParseInt(text, &entry.size);
      bad_number |= !has_size;
    } else if (path == "ListBucketResult/IsTruncated") {
      if (text != "true" && text != "false") bad_number = true;
      result.is_truncated = text == "true";
      has_truncated = true;
    } else if (path == "ListBucketResult/NextContinuationToken") {
      result.next_continuation_token = text;
    }
  };
  bool incomplete_entry = false;
  walker.on_end = [&](const std::string& path) {
    if (path != "ListBucketResult/Contents") return;
    if (!has_key || !has_size) incomplete_entry = true;
    result.contents.push_back(std::move(entry));
    entry = {};
    has_key = has_size = false;
  };
  RETURN_IF_ERROR(Walk(xml, "ListBucketResult", walker));
  if (incomplete_entry) return InternalError("S3 listing has a <Contents> without Key or Size");
  if (bad_number) return InternalError("S3 listing has an invalid Size or IsTruncated");
  if (!has_truncated) return InternalError("S3 listing has no <IsTruncated>");
  if (result.is_truncated != result.next_continuation_token.has_value() ||
      (result.next_continuation_token && result.next_continuation_token->empty())) {
    return InternalError("S3 listing: IsTruncated and NextContinuationToken disagree");
  }
  return result;
}

StatusOr<S3Error> ParseS3Error(std::string_view xml) {
  S3Error error;
  Walker walker;
  walker.on_text = [&](const std::string& path, const std::string& text) {
    if (path == "Error/Code") error.code = text;
    if (path == "Error/Message") error.message = text;
    if (path == "Error/RequestId") error.request_id = text;
  };
  walker.on_end = [](const std::string&) {};
  RETURN_IF_ERROR(Walk(xml, "Error", walker));
  if (error.code.empty()) return InternalError("S3 error document has no <Code>");
  return error;
}

StatusOr<std::string> ParseInitiateMultipartUpload(std::string_view xml) {
  std::string upload_id;
  Walker walker;
  walker.on_text = [&](const std::string& path, const std::string& text) {
    if (path == "InitiateMultipartUploadResult/UploadId") upload_id = text;
  };
  walker.on_end = [](const std::string&) {};
  RETURN_IF_ERROR(Walk(xml, "InitiateMultipartUploadResult", walker));
  if (upload_id.empty()) return InternalError("S3 multipart upload answer has no <UploadId>");
  return upload_id;
}

Status ParseCompleteMultipartUpload(std::string_view xml) {
  Walker walker;
  walker.on_text = [](const std::string&, const std::string&) {};
  walker.on_end = [](const std::string&) {};
  return Walk(xml, "CompleteMultipartUploadResult", walker);
}

}  // namespace coinlake::lake
