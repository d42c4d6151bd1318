#include "service/validation.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>

namespace synergai::service {
namespace {

using nlohmann::json;

std::string percent_decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      int v = 0;
      auto [p, ec] = std::from_chars(s.data() + i + 1, s.data() + i + 3, v, 16);
      if (ec == std::errc{} && p == s.data() + i + 3) {
        out += static_cast<char>(v);
        i += 2;
        continue;
      }
    }
    out += s[i] == '+' ? ' ' : s[i];
  }
  return out;
}

}  // namespace

// Well-formed UTF-8: no stray continuation bytes, overlong forms, surrogates
// or code points past U+10FFFF.
bool valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    const std::size_t more = c < 0x80 ? 0 : (c >> 5) == 0x6 ? 1 : (c >> 4) == 0xE ? 2 : (c >> 3) == 0x1E ? 3 : 4;
    if (more == 4 || i + more >= s.size()) return false;  // not a lead byte, or cut short
    std::uint32_t cp = more == 0 ? c : more == 1 ? (c & 0x1Fu) : more == 2 ? (c & 0x0Fu) : (c & 0x07u);
    for (std::size_t k = 1; k <= more; ++k) {
      const auto d = static_cast<unsigned char>(s[i + k]);
      if ((d >> 6) != 0x2) return false;
      cp = (cp << 6) | (d & 0x3Fu);
    }
    if ((more == 1 && cp < 0x80) || (more == 2 && cp < 0x800) || (more == 3 && cp < 0x10000) || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF))
      return false;
    i += more + 1;
  }
  return true;
}

bool valid_id(const std::string& id) {
  if (id.empty() || id.size() > 63) return false;
  auto alnum = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; };
  if (!alnum(id.front()) || !alnum(id.back())) return false;
  return std::all_of(id.begin(), id.end(), [&](char c) { return alnum(c) || c == '-' || c == '_' || c == '.'; });
}

std::pair<std::string, std::map<std::string, std::string>> split_target(const std::string& target) {
  auto q = target.find('?');
  std::map<std::string, std::string> query;
  if (q != std::string::npos) {
    std::string_view rest{target};
    rest.remove_prefix(q + 1);
    while (!rest.empty()) {
      auto amp = rest.find('&');
      auto part = rest.substr(0, amp);
      auto eq = part.find('=');
      query[percent_decode(part.substr(0, eq))] = eq == std::string_view::npos ? "" : percent_decode(part.substr(eq + 1));
      if (amp == std::string_view::npos) break;
      rest.remove_prefix(amp + 1);
    }
  }
  return {percent_decode(target.substr(0, q)), query};
}

std::optional<long long> parse_count(const std::string& s, long long max) {
  long long v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || p != s.data() + s.size() || v < 0 || v > max) return std::nullopt;
  return v;
}

// Why the API would refuse this job, or nothing: replayed records obey the
// same rules as new submissions.
std::optional<std::string> refusal_of(const JobSpec& spec, const config::Testbed& testbed) {
  if (!valid_id(spec.id)) return fmt::format("id \"{}\" is not 1 to 63 of [A-Za-z0-9._-]", spec.id);
  if (!testbed.find_engine(spec.engine)) return fmt::format("unknown engine \"{}\"", spec.engine);
  if (spec.queries < 1 || spec.queries > max_queries)
    return fmt::format("queries {} is not between 1 and {}", spec.queries, max_queries);
  const double qos = spec.qos.count();
  if (!(qos > 0) || qos > max_qos_seconds || !std::isfinite(qos))
    return fmt::format("qos_seconds {} is not positive and at most {}", qos, max_qos_seconds);
  return std::nullopt;
}

std::variant<JobSpec, Refusal> parse_submission(const std::string& body_text, const config::Testbed& testbed,
                                                const config::Dictionary& dictionary) {
  json body;
  try {
    body = json::parse(body_text);
  } catch (const std::exception& e) {
    return Refusal{400, fmt::format("malformed JSON: {}", e.what()), "body"};
  }
  if (!body.is_object()) return Refusal{400, "expected a JSON object", "body"};
  for (const auto& [key, _] : body.items())
    if (key != "engine" && key != "queries" && key != "qos_seconds" && key != "id")
      return Refusal{400, fmt::format("unknown field \"{}\" (known: engine, queries, qos_seconds, id)", key), key};
  JobSpec spec;
  if (!body.contains("engine")) return Refusal{400, "required", "engine"};
  if (!body["engine"].is_string()) return Refusal{400, "expected a string", "engine"};
  spec.engine = body["engine"].get<std::string>();
  if (!testbed.find_engine(spec.engine)) return Refusal{400, fmt::format("unknown engine \"{}\"", spec.engine), "engine"};
  bool profiled = std::any_of(testbed.nodes.begin(), testbed.nodes.end(),
                              [&](const NodeSpec& n) { return dictionary.optimum(spec.engine, n.name) != nullptr; });
  if (!profiled) return Refusal{400, fmt::format("engine {} is profiled on no node", spec.engine), "engine"};
  if (!body.contains("queries")) return Refusal{400, "required", "queries"};
  const auto& q = body["queries"];
  if (!q.is_number_integer()) return Refusal{400, "expected a whole number", "queries"};
  bool in_range = q.is_number_unsigned() ? q.get<unsigned long long>() >= 1 &&
                                               q.get<unsigned long long>() <= static_cast<unsigned long long>(max_queries)
                                         : q.get<long long>() >= 1 && q.get<long long>() <= max_queries;
  if (!in_range)
    return Refusal{400, fmt::format("must be between 1 and {}", max_queries), "queries"};
  spec.queries = static_cast<int>(q.get<long long>());
  if (!body.contains("qos_seconds")) return Refusal{400, "required", "qos_seconds"};
  const auto& qos = body["qos_seconds"];
  if (!qos.is_number()) return Refusal{400, "expected a number of seconds", "qos_seconds"};
  double qos_s = qos.get<double>();
  if (!(qos_s > 0) || qos_s > max_qos_seconds || !std::isfinite(qos_s))
    return Refusal{400, fmt::format("must be positive and at most {}", max_qos_seconds), "qos_seconds"};
  spec.qos = Seconds{qos_s};
  if (body.contains("id")) {
    if (!body["id"].is_string()) return Refusal{400, "expected a string", "id"};
    spec.id = body["id"].get<std::string>();
    if (!valid_id(spec.id))
      return Refusal{400, "1 to 63 of [A-Za-z0-9._-], starting and ending with a letter or digit", "id"};
  }
  return spec;
}

std::variant<ListQuery, Refusal> parse_list_query(const std::map<std::string, std::string>& query) {
  ListQuery q;
  for (const auto& [key, value] : query) {
    if (key == "state") {
      q.state = parse_job_state(value);
      if (!q.state) return Refusal{400, fmt::format("unknown state \"{}\"", value), "state"};
    } else if (key == "limit") {
      auto v = parse_count(value, 10000);
      if (!v || *v == 0) return Refusal{400, "expected a whole number from 1 to 10000", "limit"};
      q.limit = static_cast<std::size_t>(*v);
    } else if (key == "offset") {
      auto v = parse_count(value, std::numeric_limits<long long>::max());
      if (!v) return Refusal{400, "expected a whole number", "offset"};
      q.offset = static_cast<std::size_t>(*v);
    } else if (key == "continue") {
      auto v = parse_count(value, std::numeric_limits<long long>::max());
      if (!v) return Refusal{400, "expected the \"continue\" of a previous page", "continue"};
      q.after = static_cast<std::uint64_t>(*v);
    } else {
      return Refusal{400, fmt::format("unknown parameter \"{}\" (known: state, limit, offset, continue)", key), key};
    }
  }
  if (q.after && q.offset > 0) return Refusal{400, "give offset or continue, not both", "continue"};
  return q;
}

}  // namespace synergai::service
