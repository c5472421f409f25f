#include "inbound/inbound.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <simdjson.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <nlohmann/json.hpp>

#include "common/json_limits.h"
#include "common/time.h"
#include "common/url.h"
#include "signing/signature.h"

namespace hookd::inbound {

namespace {

constexpr std::string_view kJson = "application/json";
constexpr std::string_view kForm = "application/x-www-form-urlencoded";

Refusal invalid_json(std::string field, std::string detail) {
  return {400, "invalid_json", {std::move(field), std::move(detail)}};
}
Refusal rule(std::string field, std::string detail) {
  return {422, "validation", {std::move(field), std::move(detail)}};
}

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// The media type without parameters, lower case: "Application/JSON; charset=utf-8" -> json.
std::string media_type(std::string_view content_type) {
  const auto semi = content_type.find(';');
  std::string_view type = content_type.substr(0, semi);
  while (!type.empty() && type.back() == ' ') type.remove_suffix(1);
  while (!type.empty() && type.front() == ' ') type.remove_prefix(1);
  return lower(type);
}

// "body: not valid JSON (...)", or the nesting limit's detail for documents nested too deep.
Refusal not_json(simdjson::error_code error) {
  if (error == simdjson::DEPTH_ERROR) {
    return invalid_json("body", "not accepted (" + nesting_detail() + ")");
  }
  return invalid_json("body",
                      std::string("not valid JSON (") + simdjson::error_message(error) + ")");
}

std::optional<Refusal> check_json(std::string_view text) {
  const simdjson::padded_string padded(text);
  simdjson::dom::element root;
  if (auto error = depth_limited_parser().parse(padded).get(root); error) {
    // Integers beyond 64 bits: valid JSON, stored verbatim.
    if (error == simdjson::NUMBER_ERROR && valid_json_allowing_big_numbers(text)) {
      return std::nullopt;
    }
    return not_json(error);
  }
  return std::nullopt;
}

// Counts UTF-8 code points; the input is valid UTF-8 (simdjson validated it).
size_t code_points(std::string_view text) {
  return static_cast<size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

bool is_customer_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-' || c == '@' || c == ':';
}

bool two_digits(std::string_view text, size_t at, int max) {
  if (at + 2 > text.size()) return false;
  const char a = text[at], b = text[at + 1];
  if (a < '0' || a > '9' || b < '0' || b > '9') return false;
  return (a - '0') * 10 + (b - '0') <= max;
}

bool is_localtime(std::string_view text) {
  return text.size() == 8 && two_digits(text, 0, 23) && text[2] == ':' && two_digits(text, 3, 59) &&
         text[5] == ':' && two_digits(text, 6, 59);
}

// "2021-05-08T12:00:05", optionally with a fraction and a trailing Z, read as UTC.
std::optional<int64_t> parse_utc(std::string_view text) {
  if (text.size() < 19 || text[10] != 'T') return std::nullopt;
  const std::string_view tail = text.substr(19);
  if (!tail.empty() && tail != "Z") {
    // Only a fraction, optionally followed by Z.
    std::string_view f = tail;
    if (f.back() == 'Z') f.remove_suffix(1);
    if (f.size() < 2 || f.front() != '.' ||
        !std::all_of(f.begin() + 1, f.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return std::nullopt;
    }
  }
  std::string with_zone(text);
  if (with_zone.back() != 'Z') with_zone.push_back('Z');
  return parse_rfc3339(with_zone);
}

// A string of a JSON value for error messages, shortened.
std::string shown(simdjson::dom::element value) {
  std::string text = simdjson::to_string(value);
  if (text.size() > 40) text = text.substr(0, 37) + "...";
  return text;
}

std::optional<Refusal> read_optional_text(simdjson::dom::object root, const char* field,
                                          std::string& out) {
  simdjson::dom::element value;
  if (root[field].get(value) || value.is_null()) return std::nullopt;
  std::string_view text;
  if (value.get(text)) return rule(field, "must be a string");
  out = std::string(text);
  return std::nullopt;
}

std::optional<Refusal> read_score(simdjson::dom::element value, std::optional<int>& out) {
  const Refusal bad =
      rule("event.score", "must be an integer from 1 to 5, as a number or a numeric string (got " +
                              shown(value) + ")");
  int64_t score = 0;
  if (value.is_int64()) {
    score = value.get_int64().value();
  } else if (value.is_uint64()) {
    return bad;
  } else if (value.is_double()) {
    const double d = value.get_double().value();
    if (d != static_cast<double>(static_cast<int64_t>(d))) return bad;
    score = static_cast<int64_t>(d);
  } else if (value.is_string()) {
    const std::string_view text = value.get_string().value();
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), score);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return bad;
  } else {
    return bad;
  }
  if (score < 1 || score > 5) return bad;
  out = static_cast<int>(score);
  return std::nullopt;
}

}  // namespace

std::optional<Refusal> decode_body(std::string_view content_type, std::string_view body,
                                   std::string& json_out, std::string& normalized_type) {
  const std::string type = media_type(content_type);
  if (type.empty() || type == kJson ||
      (type.starts_with("application/") && type.ends_with("+json"))) {
    if (auto refusal = check_json(body)) return refusal;
    json_out = std::string(body);
    normalized_type = kJson;
    return std::nullopt;
  }
  if (type != kForm) {
    return Refusal{
        415,
        "unsupported_media_type",
        {"Content-Type", std::string(content_type) + " is not accepted; send application/json or "
                                                     "application/x-www-form-urlencoded"}};
  }
  // A real form encodes '{' and '['; a body starting with one is JSON sent with the form type
  // (curl -d without a Content-Type does that).
  const auto first = body.find_first_not_of(" \t\r\n");
  if (first != std::string_view::npos && (body[first] == '{' || body[first] == '[')) {
    if (auto refusal = check_json(body)) return refusal;
    json_out = std::string(body);
    normalized_type = kJson;
    return std::nullopt;
  }
  normalized_type = kForm;
  const auto fields = parse_query(body);
  if (fields.size() == 1 && fields.count("data")) {
    const std::string& data = fields.at("data");
    if (auto refusal = check_json(data)) {
      const std::string& detail = refusal->problem.detail;
      refusal->problem = {"data", "not valid JSON" + detail.substr(detail.find(" ("))};
      return refusal;
    }
    json_out = data;
    return std::nullopt;
  }
  nlohmann::json object = nlohmann::json::object();
  for (const auto& [name, value] : fields) object[name] = value;
  json_out = object.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return std::nullopt;
}

std::optional<Refusal> parse_skalin(std::string_view json, SkalinEvent& out) {
  simdjson::dom::parser& parser = depth_limited_parser();
  simdjson::padded_string padded(json);
  simdjson::dom::element doc;
  auto error = parser.parse(padded).get(doc);
  if (error == simdjson::NUMBER_ERROR && valid_json_allowing_big_numbers(json)) {
    // Integers beyond 64 bits: the fields are read from a copy where they are doubles.
    padded = simdjson::padded_string(big_integers_as_doubles(json));
    error = parser.parse(padded).get(doc);
  }
  if (error) return not_json(error);
  simdjson::dom::object root;
  if (doc.get(root)) return rule("body", "must be a JSON object");

  simdjson::dom::element value;
  std::string_view text;
  if (root["eventId"].get(value) || value.is_null()) return rule("eventId", "required");
  if (value.get(text)) return rule("eventId", "must be a string of 16 characters");
  if (code_points(text) != 16) {
    return rule("eventId",
                "must be exactly 16 characters (got " + std::to_string(code_points(text)) + ")");
  }
  out.event_id = std::string(text);

  if (root["customerId"].get(value) || value.is_null()) return rule("customerId", "required");
  if (value.get(text)) return rule("customerId", "must be a string");
  if (text.empty() || text.size() > 255 ||
      !std::all_of(text.begin(), text.end(), is_customer_char)) {
    return rule("customerId",
                "must be a customer identifier or domain name, 1 to 255 characters of "
                "A-Z a-z 0-9 . _ - @ :");
  }
  out.customer_id = std::string(text);

  if (auto refusal = read_optional_text(root, "ts", out.ts)) return refusal;
  if (!out.ts.empty()) {
    out.ts_unix_ms = parse_utc(out.ts);
    if (!out.ts_unix_ms) {
      return rule("ts", "must be a UTC timestamp like 2021-05-08T12:00:05 (got \"" +
                            out.ts.substr(0, 40) + "\")");
    }
  }
  if (auto refusal = read_optional_text(root, "localtime", out.localtime)) return refusal;
  if (!out.localtime.empty() && !is_localtime(out.localtime)) {
    return rule("localtime",
                "must be a time like 08:00:05 (got \"" + out.localtime.substr(0, 40) + "\")");
  }

  simdjson::dom::object event;
  if (root["event"].get(value) || value.is_null()) return rule("event", "required");
  if (value.get(event)) return rule("event", "must be an object with name and score");
  if (event["name"].get(value) || value.is_null()) return rule("event.name", "required");
  if (value.get(text)) return rule("event.name", "must be a string");
  if (text.empty() || code_points(text) > 255) {
    return rule("event.name", "must be 1 to 255 characters");
  }
  out.name = std::string(text);
  if (!event["score"].get(value) && !value.is_null()) {
    if (auto refusal = read_score(value, out.score)) return refusal;
  }
  return std::nullopt;
}

std::optional<std::string> top_level_key(std::string_view json, std::string_view field) {
  const simdjson::padded_string padded(json);
  simdjson::dom::object root;
  if (depth_limited_parser().parse(padded).get(root)) return std::nullopt;
  simdjson::dom::element value;
  if (root[field].get(value)) return std::nullopt;
  if (value.is_string()) {
    const std::string_view text = value.get_string().value();
    if (text.empty()) return std::nullopt;
    return std::string(text);
  }
  if (value.is_number()) return simdjson::to_string(value);
  return std::nullopt;
}

std::string hmac(std::string_view algorithm, std::string_view key, std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  const EVP_MD* md = algorithm == "sha512" ? EVP_sha512() : EVP_sha256();
  HMAC(md, key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest.data(), &length);
  return std::string(reinterpret_cast<const char*>(digest.data()), length);
}

std::string hex_encode(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (const unsigned char c : bytes) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 15]);
  }
  return out;
}

namespace {

std::optional<int64_t> read_seconds(const std::string& text) {
  int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::optional<Problem> verify_hmac(const SourceVerification& v, const HeaderLookup& header,
                                   std::string_view body, int64_t now_s) {
  const std::string* given = header(lower(v.header));
  if (!given || given->empty()) return Problem{v.header, "header missing"};
  std::string_view signature = *given;
  if (!v.prefix.empty()) {
    if (!signature.starts_with(v.prefix)) {
      return Problem{v.header, "does not start with " + v.prefix};
    }
    signature.remove_prefix(v.prefix.size());
  }
  std::string content;
  if (!v.timestamp_header.empty()) {
    const std::string* ts = header(lower(v.timestamp_header));
    if (!ts) return Problem{v.timestamp_header, "header missing"};
    const auto seconds = read_seconds(*ts);
    if (!seconds) return Problem{v.timestamp_header, "not a unix timestamp in seconds"};
    if (std::abs(now_s - *seconds) > v.tolerance_s) {
      return Problem{v.timestamp_header,
                     "outside the tolerance of " + std::to_string(v.tolerance_s) + " s"};
    }
    content = *ts + ".";
  }
  content.append(body);
  const std::string digest = hmac(v.algorithm, v.secret, content);
  const bool match = v.encoding == "base64"
                         ? signing::constant_time_equal(signature, signing::base64_encode(digest))
                         : signing::constant_time_equal(lower(signature), hex_encode(digest));
  if (match) return std::nullopt;
  return Problem{v.header, "signature does not match"};
}

std::optional<Problem> verify_standard(const SourceVerification& v, const HeaderLookup& header,
                                       std::string_view body, int64_t now_s) {
  const std::string* id = header("webhook-id");
  const std::string* ts = header("webhook-timestamp");
  const std::string* signatures = header("webhook-signature");
  if (!id || !ts || !signatures) {
    return Problem{"webhook-id, webhook-timestamp and webhook-signature", "required headers"};
  }
  const auto seconds = read_seconds(*ts);
  if (!seconds) return Problem{"webhook-timestamp", "not a unix timestamp in seconds"};
  if (std::abs(now_s - *seconds) > v.tolerance_s) {
    return Problem{"webhook-timestamp",
                   "outside the tolerance of " + std::to_string(v.tolerance_s) + " s"};
  }
  const auto key = signing::decode_secret(v.secret);
  if (!key) return Problem{"source secret", "not a whsec_ secret"};
  if (signing::matches_v1(*key, *id, *seconds, body, *signatures)) return std::nullopt;
  return Problem{"webhook-signature", "no v1 signature matches"};
}

std::optional<Problem> verify_basic(const SourceVerification& v, const HeaderLookup& header) {
  const std::string* auth = header("authorization");
  constexpr std::string_view kBasic = "Basic ";
  if (!auth || !std::string_view(*auth).starts_with(kBasic)) {
    return Problem{"Authorization", "basic credentials required"};
  }
  const auto decoded = signing::base64_decode(std::string_view(*auth).substr(kBasic.size()));
  if (!decoded) return Problem{"Authorization", "malformed basic credentials"};
  if (signing::constant_time_equal(*decoded, v.username + ":" + v.password)) return std::nullopt;
  return Problem{"Authorization", "wrong username or password"};
}

}  // namespace

std::optional<Problem> verify(const SourceVerification& v, const HeaderLookup& header,
                              std::string_view body, int64_t now_s) {
  switch (v.type) {
    case VerificationType::kNone:
      return std::nullopt;
    case VerificationType::kHmac:
      return verify_hmac(v, header, body, now_s);
    case VerificationType::kStandardWebhooks:
      return verify_standard(v, header, body, now_s);
    case VerificationType::kBasic:
      return verify_basic(v, header);
    case VerificationType::kApiKey: {
      const std::string* key = header(lower(v.header));
      if (!key) return Problem{v.header, "header missing"};
      if (signing::constant_time_equal(*key, v.key)) return std::nullopt;
      return Problem{v.header, "wrong key"};
    }
  }
  return Problem{"", "unknown verification"};
}

}  // namespace hookd::inbound
