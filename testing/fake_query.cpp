#include "testing/fake_query.hpp"

#include "kube/kubeconfig.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <regex>

namespace synergai::kube::fake {

using json = nlohmann::json;

QueryError::QueryError(int code_, std::string reason_, const std::string& message)
    : std::runtime_error(message), code(code_), reason(std::move(reason_)) {}

namespace {

QueryError bad_request(const std::string& message) { return QueryError{400, "BadRequest", message}; }

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string decode_component(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '%') {
      const int hi = i + 1 < text.size() ? hex_digit(text[i + 1]) : -1;
      const int lo = i + 2 < text.size() ? hex_digit(text[i + 2]) : -1;
      if (hi < 0 || lo < 0)
        throw bad_request(fmt::format("invalid URL escape \"{}\"", text.substr(i, std::min<std::size_t>(3, text.size() - i))));
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

std::optional<std::int64_t> to_int64(std::string_view s) {
  std::int64_t v = 0;
  if (s.empty()) return std::nullopt;
  std::string_view digits = s;
  if (digits.front() == '+') digits.remove_prefix(1);  // strconv.ParseInt accepts a sign
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
  if (ec != std::errc{} || end != digits.data() + digits.size()) return std::nullopt;
  return v;
}

// --- label selector lexer (the grammar of k8s.io/apimachinery/pkg/labels) ---

struct Token {
  enum class Kind { end, identifier, not_, ne, eq, double_eq, in, notin, gt, lt, open, close, comma } kind;
  std::string text;
};

bool special(char c) {
  return c == '!' || c == '=' || c == '(' || c == ')' || c == ',' || c == '<' || c == '>' ||
         std::isspace(static_cast<unsigned char>(c));
}

std::vector<Token> lex(std::string_view s) {
  std::vector<Token> out;
  std::size_t i = 0;
  while (i < s.size()) {
    const char c = s[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
    } else if (c == '!' && i + 1 < s.size() && s[i + 1] == '=') {
      out.push_back({Token::Kind::ne, "!="}), i += 2;
    } else if (c == '!') {
      out.push_back({Token::Kind::not_, "!"}), ++i;
    } else if (c == '=' && i + 1 < s.size() && s[i + 1] == '=') {
      out.push_back({Token::Kind::double_eq, "=="}), i += 2;
    } else if (c == '=') {
      out.push_back({Token::Kind::eq, "="}), ++i;
    } else if (c == '(') {
      out.push_back({Token::Kind::open, "("}), ++i;
    } else if (c == ')') {
      out.push_back({Token::Kind::close, ")"}), ++i;
    } else if (c == ',') {
      out.push_back({Token::Kind::comma, ","}), ++i;
    } else if (c == '>') {
      out.push_back({Token::Kind::gt, ">"}), ++i;
    } else if (c == '<') {
      out.push_back({Token::Kind::lt, "<"}), ++i;
    } else {
      std::size_t j = i;
      while (j < s.size() && !special(s[j])) ++j;
      std::string word{s.substr(i, j - i)};
      Token::Kind k = word == "in" ? Token::Kind::in : word == "notin" ? Token::Kind::notin : Token::Kind::identifier;
      out.push_back({k, std::move(word)});
      i = j;
    }
  }
  out.push_back({Token::Kind::end, ""});
  return out;
}

bool valid_label_name(const std::string& s) {
  static const std::regex re{"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"};
  return !s.empty() && s.size() <= 63 && std::regex_match(s, re);
}

}  // namespace

bool is_dns1123_label(const std::string& s) {
  static const std::regex re{"[a-z0-9]([-a-z0-9]*[a-z0-9])?"};
  return !s.empty() && s.size() <= 63 && std::regex_match(s, re);
}

bool is_dns1123_subdomain(const std::string& s) {
  static const std::regex re{R"([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*)"};
  return !s.empty() && s.size() <= 253 && std::regex_match(s, re);
}

bool is_label_key(const std::string& key) {
  const auto slash = key.find('/');
  if (slash == std::string::npos) return valid_label_name(key);
  return is_dns1123_subdomain(key.substr(0, slash)) && valid_label_name(key.substr(slash + 1));
}

bool is_label_value(const std::string& v) { return v.empty() || valid_label_name(v); }

std::string percent_decode(std::string_view text) { return decode_component(text, false); }

Query parse_query(std::string_view text) {
  Query out;
  std::size_t start = 0;
  while (start <= text.size()) {
    auto amp = text.find('&', start);
    std::string_view pair = text.substr(start, amp == std::string_view::npos ? std::string_view::npos : amp - start);
    if (!pair.empty()) {
      auto eq = pair.find('=');
      std::string name = decode_component(pair.substr(0, eq), true);
      std::string value = eq == std::string_view::npos ? "" : decode_component(pair.substr(eq + 1), true);
      out.emplace(std::move(name), std::move(value));  // the first value wins, as url.Values.Get
    }
    if (amp == std::string_view::npos) break;
    start = amp + 1;
  }
  return out;
}

bool query_bool(const Query& query, const std::string& name) {
  auto it = query.find(name);
  if (it == query.end()) return false;
  std::string lower = it->second;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  return !(lower == "0" || lower == "false");
}

std::optional<std::int64_t> query_int64(const Query& query, const std::string& name) {
  auto it = query.find(name);
  if (it == query.end()) return std::nullopt;
  auto v = to_int64(it->second);
  if (!v) throw bad_request(fmt::format("strconv.ParseInt: parsing \"{}\": invalid syntax", it->second));
  return v;
}

LabelSelector parse_label_selector(std::string_view text) {
  LabelSelector out;
  const auto tokens = lex(text);
  std::size_t p = 0;
  auto fail = [&](const std::string& why) {
    return bad_request(fmt::format("unable to parse requirement: {}", why));
  };
  auto expect_identifier = [&](const char* what) -> std::string {
    const Token& t = tokens[p];
    if (t.kind != Token::Kind::identifier && t.kind != Token::Kind::in && t.kind != Token::Kind::notin)
      throw fail(fmt::format("found '{}', expected: {}", t.text, what));
    ++p;
    return t.text;
  };
  if (tokens[p].kind == Token::Kind::end) return out;
  for (;;) {
    LabelRequirement r;
    if (tokens[p].kind == Token::Kind::not_) {
      ++p;
      r.key = expect_identifier("identifier");
      r.op = LabelRequirement::Op::not_exists;
    } else {
      r.key = expect_identifier("identifier");
      switch (tokens[p].kind) {
        case Token::Kind::end:
        case Token::Kind::comma: r.op = LabelRequirement::Op::exists; break;
        case Token::Kind::eq:
        case Token::Kind::double_eq:
        case Token::Kind::ne:
        case Token::Kind::gt:
        case Token::Kind::lt: {
          const auto k = tokens[p++].kind;
          r.op = k == Token::Kind::ne   ? LabelRequirement::Op::ne
                 : k == Token::Kind::gt ? LabelRequirement::Op::gt
                 : k == Token::Kind::lt ? LabelRequirement::Op::lt
                                        : LabelRequirement::Op::eq;
          // "key=" selects the empty value.
          if (tokens[p].kind == Token::Kind::end || tokens[p].kind == Token::Kind::comma) r.values.push_back("");
          else r.values.push_back(expect_identifier("identifier"));
          if ((r.op == LabelRequirement::Op::gt || r.op == LabelRequirement::Op::lt) && !to_int64(r.values[0]))
            throw fail(fmt::format("for 'Gt', 'Lt' operators, the value must be an integer: {}", r.values[0]));
          break;
        }
        case Token::Kind::in:
        case Token::Kind::notin: {
          r.op = tokens[p++].kind == Token::Kind::in ? LabelRequirement::Op::in : LabelRequirement::Op::notin;
          if (tokens[p].kind != Token::Kind::open) throw fail(fmt::format("found '{}', expected: '('", tokens[p].text));
          ++p;
          for (;;) {
            if (tokens[p].kind == Token::Kind::identifier || tokens[p].kind == Token::Kind::in ||
                tokens[p].kind == Token::Kind::notin)
              r.values.push_back(tokens[p++].text);
            else if (tokens[p].kind == Token::Kind::comma || tokens[p].kind == Token::Kind::close)
              r.values.push_back("");  // "(a,,b)" and "()" hold the empty value
            else
              throw fail(fmt::format("found '{}', expected: ',', ')' or identifier", tokens[p].text));
            if (tokens[p].kind == Token::Kind::comma) {
              ++p;
              continue;
            }
            if (tokens[p].kind == Token::Kind::close) {
              ++p;
              break;
            }
            throw fail(fmt::format("found '{}', expected: ',' or ')'", tokens[p].text));
          }
          break;
        }
        default: throw fail(fmt::format("found '{}', expected: in, notin, =, ==, !=, gt, lt", tokens[p].text));
      }
    }
    if (!is_label_key(r.key)) throw fail(fmt::format("key: Invalid value: \"{}\": not a qualified name", r.key));
    for (const auto& v : r.values)
      if (!is_label_value(v) && r.op != LabelRequirement::Op::gt && r.op != LabelRequirement::Op::lt)
        throw fail(fmt::format("values[0][{}]: Invalid value: \"{}\": not a valid label value", r.key, v));
    out.push_back(std::move(r));
    if (tokens[p].kind == Token::Kind::end) break;
    if (tokens[p].kind != Token::Kind::comma) throw fail(fmt::format("found '{}', expected: ',' or 'end of string'", tokens[p].text));
    ++p;
  }
  return out;
}

bool matches(const LabelSelector& selector, const json& object) {
  const json* labels = nullptr;
  if (object.is_object() && object.contains("metadata") && object["metadata"].is_object() &&
      object["metadata"].contains("labels") && object["metadata"]["labels"].is_object())
    labels = &object["metadata"]["labels"];
  for (const auto& r : selector) {
    std::optional<std::string> v;
    if (labels && labels->contains(r.key) && (*labels)[r.key].is_string()) v = (*labels)[r.key].get<std::string>();
    const bool listed = v && std::find(r.values.begin(), r.values.end(), *v) != r.values.end();
    switch (r.op) {
      case LabelRequirement::Op::eq:
      case LabelRequirement::Op::in:
        if (!listed) return false;
        break;
      case LabelRequirement::Op::ne:
      case LabelRequirement::Op::notin:
        if (listed) return false;
        break;
      case LabelRequirement::Op::exists:
        if (!v) return false;
        break;
      case LabelRequirement::Op::not_exists:
        if (v) return false;
        break;
      case LabelRequirement::Op::gt:
      case LabelRequirement::Op::lt: {
        auto have = v ? to_int64(*v) : std::nullopt;
        auto bound = to_int64(r.values.at(0));
        if (!have || !bound) return false;
        if (r.op == LabelRequirement::Op::gt ? !(*have > *bound) : !(*have < *bound)) return false;
        break;
      }
    }
  }
  return true;
}

FieldSelector parse_field_selector(std::string_view text, const std::vector<std::string>& supported) {
  FieldSelector out;
  if (text.empty()) return out;
  // Split on unescaped commas; keep escapes for the operator search.
  std::vector<std::string> terms{""};
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 1 < text.size()) {
      terms.back() += text[i];
      terms.back() += text[++i];
    } else if (text[i] == ',') {
      terms.emplace_back();
    } else {
      terms.back() += text[i];
    }
  }
  auto unescape = [](const std::string& s) {
    std::string r;
    for (std::size_t i = 0; i < s.size(); ++i) {
      if (s[i] == '\\' && i + 1 < s.size()) {
        const char n = s[i + 1];
        if (n != '\\' && n != ',' && n != '=') throw bad_request(fmt::format("invalid field selector: invalid escape sequence: \\{}", n));
        r += n, ++i;
      } else {
        r += s[i];
      }
    }
    return r;
  };
  for (const auto& term : terms) {
    if (term.empty()) continue;
    // The first unescaped operator: "!=", "==" or "=".
    std::size_t at = std::string::npos, len = 0;
    bool equals = true;
    for (std::size_t i = 0; i < term.size(); ++i) {
      if (term[i] == '\\') {
        ++i;
        continue;
      }
      if (term.compare(i, 2, "!=") == 0) at = i, len = 2, equals = false;
      else if (term.compare(i, 2, "==") == 0) at = i, len = 2;
      else if (term[i] == '=') at = i, len = 1;
      if (at != std::string::npos) break;
    }
    if (at == std::string::npos)
      throw bad_request(fmt::format("invalid selector: '{}'; can't understand '{}'", std::string{text}, term));
    FieldRequirement r{unescape(term.substr(0, at)), equals, unescape(term.substr(at + len))};
    if (std::find(supported.begin(), supported.end(), r.field) == supported.end())
      throw bad_request(fmt::format("field label not supported: {}", r.field));
    out.push_back(std::move(r));
  }
  return out;
}

bool matches(const FieldSelector& selector, const json& object) {
  for (const auto& r : selector) {
    const json* at = &object;
    std::size_t start = 0;
    bool present = true;
    while (present) {
      auto dot = r.field.find('.', start);
      const std::string part = r.field.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
      if (!at->is_object() || !at->contains(part)) present = false;
      else at = &(*at)[part];
      if (dot == std::string::npos) break;
      start = dot + 1;
    }
    const std::string value = !present ? "" : at->is_string() ? at->get<std::string>() : at->dump();
    if ((value == r.value) != r.equals) return false;
  }
  return true;
}

std::string encode_continue(const ContinueToken& token) {
  return base64_encode(json{{"v", "meta.k8s.io/v1"}, {"rv", token.resource_version}, {"start", token.start}}.dump());
}

ContinueToken decode_continue(std::string_view text) {
  const auto invalid = [] { return bad_request("continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)"); };
  std::string raw;
  try {
    raw = base64_decode(std::string{text});
  } catch (const std::exception&) {
    throw invalid();
  }
  json j = json::parse(raw, nullptr, false);
  if (!j.is_object() || j.value("v", "") != "meta.k8s.io/v1" || !j.contains("rv") || !j["rv"].is_number_unsigned() ||
      !j.contains("start") || !j["start"].is_string())
    throw invalid();
  return {j["rv"].get<std::uint64_t>(), j["start"].get<std::string>()};
}

ListOptions parse_list_options(const Query& query, const std::vector<std::string>& field_labels) {
  ListOptions o;
  o.watch = query_bool(query, "watch");
  o.allow_bookmarks = query_bool(query, "allowWatchBookmarks");
  if (auto t = query_int64(query, "timeoutSeconds")) o.timeout = std::chrono::seconds{std::max<std::int64_t>(*t, 0)};
  if (auto l = query_int64(query, "limit"); l && *l > 0) o.limit = *l;
  auto get = [&](const char* name) {
    auto it = query.find(name);
    return it == query.end() ? std::string{} : it->second;
  };
  o.resource_version = get("resourceVersion");
  o.resource_version_match = get("resourceVersionMatch");
  if (const auto c = get("continue"); !c.empty()) {
    if (o.watch) throw bad_request("continue is not supported on watch requests");
    if (!o.resource_version.empty() && o.resource_version != "0")
      throw bad_request("specifying resource version is not allowed when using continue");
    o.continue_from = decode_continue(c);
  }
  auto invalid = [](const std::string& field, const std::string& message) {
    return QueryError{422, "Invalid", fmt::format("ListOptions.meta.k8s.io \"\" is invalid: {}: {}", field, message)};
  };
  if (!o.resource_version_match.empty()) {
    if (o.watch) throw invalid("resourceVersionMatch", "Forbidden: resourceVersionMatch is forbidden for watch");
    if (o.resource_version.empty())
      throw invalid("resourceVersionMatch", "Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided");
    if (o.resource_version_match != "NotOlderThan" && o.resource_version_match != "Exact")
      throw invalid("resourceVersionMatch",
                    fmt::format("Unsupported value: \"{}\": supported values: \"Exact\", \"NotOlderThan\", \"\"",
                                o.resource_version_match));
  }
  if (query_bool(query, "sendInitialEvents"))
    throw invalid("sendInitialEvents", "Forbidden: sendInitialEvents is forbidden for watch unless the WatchList feature gate is enabled");
  o.labels = parse_label_selector(get("labelSelector"));
  o.fields = parse_field_selector(get("fieldSelector"), field_labels);
  return o;
}

bool query_dry_run(const Query& query) {
  auto it = query.find("dryRun");
  if (it == query.end()) return false;
  if (it->second != "All")
    throw bad_request(fmt::format("Invalid dry run value \"{}\": supported values: \"All\"", it->second));
  return true;
}

DeleteOptions parse_delete_options(const Query& query, std::string_view body) {
  DeleteOptions o;
  if (!body.empty()) {
    json j = json::parse(body, nullptr, false);
    if (!j.is_object() || (j.contains("kind") && j["kind"] != "DeleteOptions"))
      throw bad_request("the body of the request was not DeleteOptions");
    if (j.contains("propagationPolicy") && !j["propagationPolicy"].is_null()) {
      if (!j["propagationPolicy"].is_string())
        throw bad_request("json: cannot unmarshal into Go struct field DeleteOptions.propagationPolicy of type string");
      o.propagation_policy = j["propagationPolicy"].get<std::string>();
    }
    if (j.contains("orphanDependents") && j["orphanDependents"].is_boolean() && o.propagation_policy.empty())
      o.propagation_policy = j["orphanDependents"].get<bool>() ? "Orphan" : "Background";
    if (j.contains("dryRun") && j["dryRun"].is_array())
      for (const auto& v : j["dryRun"]) {
        if (v != "All") throw bad_request(fmt::format("Invalid dry run value {}: supported values: \"All\"", v.dump()));
        o.dry_run = true;
      }
  }
  if (auto it = query.find("propagationPolicy"); it != query.end()) o.propagation_policy = it->second;
  if (query_dry_run(query)) o.dry_run = true;
  if (!o.propagation_policy.empty() && o.propagation_policy != "Foreground" && o.propagation_policy != "Background" &&
      o.propagation_policy != "Orphan")
    throw QueryError{422, "Invalid",
                     fmt::format("DeleteOptions.meta.k8s.io \"\" is invalid: propagationPolicy: Unsupported value: "
                                 "\"{}\": supported values: \"Foreground\", \"Background\", \"Orphan\", \"nil\"",
                                 o.propagation_policy)};
  return o;
}

const std::vector<std::string>& job_field_labels() {
  static const std::vector<std::string> v{"metadata.name", "metadata.namespace"};
  return v;
}
const std::vector<std::string>& pod_field_labels() {
  static const std::vector<std::string> v{"metadata.name", "metadata.namespace", "spec.nodeName", "spec.restartPolicy",
                                          "status.phase"};
  return v;
}
const std::vector<std::string>& node_field_labels() {
  static const std::vector<std::string> v{"metadata.name"};
  return v;
}

}  // namespace synergai::kube::fake
