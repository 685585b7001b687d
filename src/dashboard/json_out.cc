#include "dashboard/json_out.h"

#include <fmt/format.h>

#include <chrono>

namespace coinlake::dashboard {

void JsonOut::Separate() {
  if (need_comma_) out_ += ',';
  need_comma_ = true;
}

JsonOut& JsonOut::BeginObject() {
  Separate();
  out_ += '{';
  need_comma_ = false;
  return *this;
}

JsonOut& JsonOut::EndObject() {
  out_ += '}';
  need_comma_ = true;
  return *this;
}

JsonOut& JsonOut::BeginArray() {
  Separate();
  out_ += '[';
  need_comma_ = false;
  return *this;
}

JsonOut& JsonOut::EndArray() {
  out_ += ']';
  need_comma_ = true;
  return *this;
}

JsonOut& JsonOut::Key(std::string_view key) {
  String(key);
  out_ += ':';
  need_comma_ = false;
  return *this;
}

JsonOut& JsonOut::String(std::string_view text) {
  Separate();
  out_ += '"';
  // The database speaks UTF-8, so only quotes, backslashes and control characters need escapes;
  // the runs between them are appended whole (a push_back per character was most of this
  // function's cost on /latest).
  size_t run = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    auto u = static_cast<unsigned char>(text[i]);
    if (u >= 0x20 && u != '"' && u != '\\') continue;
    out_.append(text.data() + run, i - run);
    run = i + 1;
    if (u < 0x20) {
      fmt::format_to(std::back_inserter(out_), "\\u{:04x}", u);
    } else {
      out_ += '\\';
      out_ += text[i];
    }
  }
  out_.append(text.data() + run, text.size() - run);
  out_ += '"';
  return *this;
}

JsonOut& JsonOut::Int(int64_t value) {
  Separate();
  fmt::format_to(std::back_inserter(out_), "{}", value);
  return *this;
}

JsonOut& JsonOut::Null() {
  Separate();
  out_ += "null";
  return *this;
}

JsonOut& JsonOut::Number(std::string_view pg_text) {
  // float8 prints shortest round-trip digits ("0.1", "1e+20", "-2.5e-05"), which JSON accepts
  // as they are; only NaN and [-]Infinity have no JSON spelling. Only the first character after
  // the sign is looked at: a find_first_of over every number was 8% of /latest's server CPU.
  std::string_view unsigned_text = pg_text.substr(pg_text.starts_with('-') ? 1 : 0);
  if (unsigned_text.empty() || unsigned_text[0] == 'N' || unsigned_text[0] == 'I') return Null();
  Separate();
  out_ += pg_text;
  return *this;
}

JsonOut& JsonOut::Time(std::string_view pg_text) {
  // "YYYY-MM-DD HH:MM:SS[.ffffff]+00": anything else (a year past 9999, another time zone) is
  // passed through as a string rather than mangled.
  if (pg_text.size() < 22 || pg_text[10] != ' ' || !pg_text.ends_with("+00")) {
    return String(pg_text);
  }
  Separate();
  out_ += '"';
  out_.append(pg_text.data(), 10);
  out_ += 'T';
  out_.append(pg_text.data() + 11, 8);
  out_ += '.';
  std::string_view fraction = pg_text.substr(19, pg_text.size() - 3 - 19);
  if (!fraction.empty() && fraction[0] == '.') fraction.remove_prefix(1);
  for (size_t i = 0; i < 3; ++i) out_ += i < fraction.size() ? fraction[i] : '0';
  out_ += "Z\"";
  return *this;
}

JsonOut& JsonOut::TimeSeconds(int64_t seconds) {
  using namespace std::chrono;
  sys_seconds t{std::chrono::seconds(seconds)};
  auto day = floor<days>(t);
  year_month_day ymd{day};
  hh_mm_ss hms{t - day};
  Separate();
  fmt::format_to(std::back_inserter(out_), "\"{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}.000Z\"",
                 static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                 static_cast<unsigned>(ymd.day()), hms.hours().count(), hms.minutes().count(),
                 hms.seconds().count());
  return *this;
}

}  // namespace coinlake::dashboard
