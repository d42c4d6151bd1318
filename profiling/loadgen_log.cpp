#include "profiling/loadgen_log.hpp"

#include "profiling/text.hpp"
#include "support/errors.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <fstream>
#include <sstream>

namespace synergai::profiling {
namespace {

std::string_view trim(std::string_view s) {
  auto ws = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v'; };
  while (!s.empty() && ws(s.front())) s.remove_prefix(1);
  while (!s.empty() && ws(s.back())) s.remove_suffix(1);
  return s;
}

// Trimmed, runs of blanks collapsed to one space.
std::string collapse(std::string_view s) {
  std::string out;
  bool blank = false;
  for (char c : trim(s)) {
    if (c == ' ' || c == '\t') {
      blank = true;
      continue;
    }
    if (blank && !out.empty()) out += ' ';
    blank = false;
    out += c;
  }
  return out;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::optional<double> to_number(std::string_view s) {
  s = trim(s);
  if (s.empty()) return std::nullopt;
  if (s.front() == '+') s.remove_prefix(1);
  double v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || p != s.data() + s.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

std::optional<long long> to_integer(std::string_view s) {
  long long v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || p != s.data() + s.size()) return std::nullopt;
  return v;
}

std::vector<std::string_view> lines_of(std::string_view text) {
  std::vector<std::string_view> out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    out.push_back(text.substr(pos, end - pos));
    pos = end + 1;
  }
  return out;
}

// "90th", "90.00", "99.9th", "90.0th" -> "90", "99.9"; nothing if not a percentile.
std::optional<std::string> percentile_name(std::string_view s) {
  if (s.ends_with("th")) s.remove_suffix(2);
  auto v = to_number(s);
  if (!v || *v <= 0 || *v > 100) return std::nullopt;
  return fmt::format("{:g}", *v);
}

[[noreturn]] void fail(const std::string& file, std::size_t line, const std::string& message) {
  if (line == 0) throw InputError(fmt::format("{}: {}", file, message));
  throw InputError(fmt::format("{}:{}: {}", file, line, message));
}

// A latency row "<stat> [<what>] latency (ns)" / "... output token (ns)":
// which series and which statistic, or nothing.
bool latency_row(LoadGenSummary& s, const std::string& key, double v) {
  std::string k = lower(key);
  if (!k.ends_with("(ns)")) return false;
  k = collapse(std::string_view{k}.substr(0, k.size() - 4));
  LatencyStats* series = nullptr;
  std::string rest;
  auto strip = [&](std::string_view suffix) {
    if (!k.ends_with(suffix)) return false;
    rest = collapse(std::string_view{k}.substr(0, k.size() - suffix.size()));
    return true;
  };
  // "90th first token percentile latency": SingleStream's token headline.
  if (k.ends_with(" first token percentile latency")) {
    auto p = percentile_name(std::string_view{k}.substr(0, k.size() - 31));
    if (!p) return false;
    s.first_token.percentiles[*p] = v;
    return true;
  }
  if (strip("first token latency") || strip("time to first token") || strip("ttft latency") || strip("ttft"))
    series = &s.first_token;
  else if (strip("time to output token") || strip("time per output token") || strip("tpot latency") || strip("tpot"))
    series = &s.time_per_output_token;
  else if (strip("latency")) series = &s.latency;
  else return false;
  if (rest == "min") series->min = v;
  else if (rest == "max") series->max = v;
  else if (rest == "mean") series->mean = v;
  else if (rest.ends_with(" percentile")) {
    auto p = percentile_name(std::string_view{rest}.substr(0, rest.size() - 11));
    if (!p) return false;
    series->percentiles[*p] = v;
  } else {
    return false;
  }
  return true;
}

// Fields whose value must be a number.
bool is_metric(const std::string& k) {
  static const char* const names[] = {"qps w/ loadgen overhead", "qps w/o loadgen overhead", "samples per second",
                                      "completed samples per second", "scheduled samples per second",
                                      "samples per query", "tokens per second", "completed tokens per second",
                                      "tps w/ loadgen overhead", "tps w/o loadgen overhead"};
  for (const char* n : names)
    if (k == n) return true;
  return k.ends_with("(ns)") && (k.find("latency") != std::string::npos || k.find("output token") != std::string::npos);
}

// What LoadGen prints for a non-finite double (a run with no samples).
bool is_non_finite(std::string_view value) {
  auto v = lower(trim(value));
  if (!v.empty() && (v.front() == '-' || v.front() == '+')) v.erase(0, 1);
  return v == "nan" || v == "inf" || v == "infinity" || v.starts_with("nan(");
}

// "VALID" / "INVALID" in any case; nothing for another word.
std::optional<std::string> validity(std::string_view value) {
  auto v = lower(trim(value));
  if (v == "valid") return "VALID";
  if (v == "invalid") return "INVALID";
  return std::nullopt;
}

bool is_rule(std::string_view collapsed) {
  return !collapsed.empty() && collapsed.find_first_not_of('=') == std::string_view::npos;
}

void latency_json(nlohmann::json& j, std::string_view name, const LatencyStats& l) {
  if (l.empty()) return;
  nlohmann::json o = nlohmann::json::object();
  if (l.min) o["min"] = *l.min;
  if (l.max) o["max"] = *l.max;
  if (l.mean) o["mean"] = *l.mean;
  if (!l.percentiles.empty()) o["percentiles"] = l.percentiles;
  j[std::string{name}] = std::move(o);
}

}  // namespace

std::string normalise_scenario(std::string_view s) {
  std::string k;
  for (char c : s)
    if (c != ' ' && c != '\t' && c != '-' && c != '_') k += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (k == "singlestream") return "SingleStream";
  if (k == "multistream") return "MultiStream";
  if (k == "server") return "Server";
  if (k == "offline") return "Offline";
  return "";
}

std::optional<double> LoadGenSummary::qps() const {
  if (qps_with_overhead) return qps_with_overhead;
  if (samples_per_second) return samples_per_second;
  if (completed_samples_per_second) return completed_samples_per_second;
  if (latency.mean && *latency.mean > 0) return 1e9 / *latency.mean;
  return std::nullopt;
}

std::optional<std::string> unusable_result(const LoadGenSummary& summary) {
  if (!summary.has_results) return "the summary holds no performance result (an accuracy-only run)";
  if (summary.result != "VALID") return "result INVALID";
  return std::nullopt;
}

LoadGenSummary parse_summary(std::string_view text, const std::string& file) {
  if (auto bad = first_bad_byte(text)) fail(file, line_of(text, *bad), "not UTF-8 text (binary data): not a LoadGen summary");
  LoadGenSummary s;
  // `other`: a section of a later LoadGen than this parser knows; its values are kept like Additional Stats'.
  enum class Section { preamble, summary, stats, params, other } section = Section::preamble;
  enum class Block { none, early_stopping, recommendations } block = Block::none;
  bool seen_banner = false, seen_errors = false, seen_result = false, seen_scenario = false, seen_mode = false;
  std::string last_metric;
  std::optional<double> last_value;
  auto all = lines_of(text);
  std::size_t n = 0;
  for (auto raw : all) {
    ++n;
    if (raw.find('\0') != std::string_view::npos) fail(file, n, "binary data: not a LoadGen summary");
    std::string line = collapse(raw);
    if (line.empty()) {
      block = Block::none;
      continue;
    }
    if (is_rule(line)) continue;
    std::string l = lower(line);
    if (l == "mlperf results summary") {
      if (seen_banner) fail(file, n, "a second \"MLPerf Results Summary\": two summaries in one file");
      if (seen_errors) fail(file, n, "text after the errors line");
      seen_banner = true;
      section = Section::summary;
      continue;
    }
    bool counts_line = l.find(" encountered") != std::string::npos &&
                       (l.find(" warning") != std::string::npos || l.find(" error") != std::string::npos);
    // Before the banner only the warnings and errors lines may come: an accuracy run's whole summary.
    if (!seen_banner && !counts_line)
      fail(file, n, "not a LoadGen summary: expected the \"MLPerf Results Summary\" banner first");
    if (seen_errors) fail(file, n, "text after the errors line");
    // A bullet's text wrapped onto indented lines ("with the run being successful if every additional").
    if (block != Block::none && (raw.front() == ' ' || raw.front() == '\t') && line.front() != '*' &&
        line.find(':') == std::string::npos) {
      auto& items = block == Block::early_stopping ? s.early_stopping.back().lines : s.recommendations;
      if (!items.empty()) {
        items.back() += " " + line;
        continue;
      }
    }
    // A banner: a line between two rules of '='.
    bool banner = n >= 2 && n < all.size() && is_rule(collapse(all[n - 2])) && is_rule(collapse(all[n]));
    if (l == "additional stats" || l == "test parameters used" || banner) {
      section = l == "additional stats" ? Section::stats : l == "test parameters used" ? Section::params : Section::other;
      if (section == Section::other) s.notes.push_back(line);
      block = Block::none;
      continue;
    }
    if (l.ends_with("early stopping result:")) {
      EarlyStopping es;
      es.kind = collapse(line.substr(0, line.size() - 22));
      s.early_stopping.push_back(std::move(es));
      block = Block::early_stopping;
      continue;
    }
    if (l == "recommendations:") {
      block = Block::recommendations;
      continue;
    }
    if (l == "no warnings encountered during test.") {
      s.warnings = 0;
      continue;
    }
    if (l == "no errors encountered during test.") {
      s.errors = 0;
      seen_errors = true;
      continue;
    }
    if (counts_line) {
      auto sp = l.find(' ');
      auto count = to_integer(std::string_view{l}.substr(0, sp));
      bool is_error = l.find(" error") != std::string::npos && l.find(" error") < l.find(" encountered");
      if (!count || *count < 0 || *count > 1'000'000'000)
        fail(file, n, fmt::format("expected \"<N> {} encountered\", found \"{}\"", is_error ? "ERROR" : "warnings", line));
      if (is_error) {
        s.errors = static_cast<int>(*count);
        seen_errors = true;
      } else {
        s.warnings = static_cast<int>(*count);
      }
      continue;
    }
    if (line.front() == '*') {
      std::string item = collapse(std::string_view{line}.substr(1));
      if (block == Block::early_stopping) {
        auto& es = s.early_stopping.back();
        es.lines.push_back(item);
        // "Early stopping 90th percentile estimate: 12345"
        std::string il = lower(item);
        if (il.starts_with("early stopping ") && il.find(" percentile estimate:") != std::string::npos) {
          auto pct = il.substr(15, il.find(" percentile estimate:") - 15);
          auto p = percentile_name(pct);
          auto v = to_number(std::string_view{il}.substr(il.find(':') + 1));
          if (!p || !v) fail(file, n, fmt::format("unreadable early-stopping estimate \"{}\"", item));
          es.estimates[*p] = *v;
        }
      } else {
        s.recommendations.push_back(item);
      }
      continue;
    }
    auto colon = line.find(':');
    if (colon == std::string::npos) {
      s.notes.push_back(line);
      continue;
    }
    std::string key = collapse(std::string_view{line}.substr(0, colon));
    std::string value = collapse(std::string_view{line}.substr(colon + 1));
    std::string k = lower(key);
    block = Block::none;
    if (key.empty()) fail(file, n, fmt::format("a value with no field name: \"{}\"", line));
    if (section == Section::params) {
      s.test_parameters[key] = value;
      continue;
    }
    auto number = [&]() {
      auto v = to_number(value);
      if (!v) fail(file, n, fmt::format("{}: expected a number, found \"{}\"", key, value));
      return *v;
    };
    if (k == "sut name") {
      s.sut_name = value;
    } else if (k == "scenario") {
      s.scenario = normalise_scenario(value);
      if (s.scenario.empty()) fail(file, n, fmt::format("unknown scenario \"{}\"", value));
      seen_scenario = true;
    } else if (k == "mode") {
      if (value.empty()) fail(file, n, "empty Mode");
      s.mode = value;
      seen_mode = true;
    } else if (k == "result is") {
      auto v = validity(value);
      if (!v) fail(file, n, fmt::format("Result is: expected VALID or INVALID, found \"{}\"", value));
      if (seen_result) fail(file, n, "a second \"Result is\" line");
      s.result = *v;
      seen_result = true;
      if (!last_metric.empty()) {
        s.headline_name = last_metric;
        s.headline_value = last_value;
      }
    } else if (k.ends_with(" satisfied")) {
      // LoadGen writes "Yes", "NO" (since v1.0), "No" (v0.5) and "Skipped" (checks it did not enforce).
      auto v = lower(value);
      if (v == "yes" || v == "no") s.satisfied[key] = v == "yes";
      else if (v == "skipped") s.skipped.push_back(key);
      else s.other[key] = value;
    } else if (auto parsed = to_number(value); !parsed && (!is_metric(k) || is_non_finite(value))) {
      s.other[key] = value;  // e.g. "Per-query latency: "target_ns" : 50000000, ...", "Samples per second : nan"
    } else {
      double v = number();
      if (k == "qps w/ loadgen overhead") s.qps_with_overhead = v;
      else if (k == "qps w/o loadgen overhead") s.qps_without_overhead = v;
      else if (k == "samples per second") s.samples_per_second = v;
      else if (k == "completed samples per second") s.completed_samples_per_second = v;
      else if (k == "scheduled samples per second") s.scheduled_samples_per_second = v;
      else if (k == "samples per query") s.samples_per_query = v;
      else if (k == "tokens per second" || k == "completed tokens per second" || k == "tps w/ loadgen overhead")
        s.tokens_per_second = v;
      else if (!latency_row(s, key, v)) s.other[key] = value;
      if (section == Section::summary && !seen_result) {
        last_metric = key;
        last_value = v;
      }
    }
  }
  if (!seen_banner) {
    if (!seen_errors) fail(file, 0, "not a LoadGen summary: no \"MLPerf Results Summary\" banner");
    s.has_results = false;  // an accuracy run: LoadGen summarises no performance
    return s;
  }
  auto missing = [&](std::string_view what) {
    fail(file, n, fmt::format("truncated LoadGen summary: ends before {}", what));
  };
  if (!seen_scenario) missing("the Scenario line");
  if (!seen_mode) missing("the Mode line");
  if (!seen_result) missing("the \"Result is\" line");
  if (!seen_errors) missing("the errors line (\"No errors encountered during test.\" or \"N ERROR encountered\")");
  return s;
}

LoadGenDetail parse_detail(std::string_view text, const std::string& file) {
  if (auto bad = first_bad_byte(text)) fail(file, line_of(text, *bad), "not UTF-8 text (binary data): not a LoadGen detail log");
  LoadGenDetail d;
  auto all = lines_of(text);
  std::size_t n = 0;
  for (auto raw : all) {
    ++n;
    auto line = trim(raw);
    if (line.empty()) continue;
    if (line.find('\0') != std::string_view::npos) fail(file, n, "binary data: not a LoadGen detail log");
    LoadGenEntry e;
    e.line = static_cast<int>(n);
    if (line.starts_with(":::MLLOG")) {
      if (d.format.empty()) d.format = "mllog";
      if (d.format != "mllog") fail(file, n, "an :::MLLOG line in a v0.5 detail log");
      auto j = nlohmann::json::parse(line.substr(8), nullptr, false);
      if (j.is_discarded()) {
        bool last = std::all_of(all.begin() + static_cast<std::ptrdiff_t>(n), all.end(),
                                [](auto l) { return trim(l).empty(); });
        fail(file, n, last ? "truncated :::MLLOG entry at the end of the file" : "malformed :::MLLOG entry (not JSON)");
      }
      if (!j.is_object() || !j.contains("key") || !j["key"].is_string())
        fail(file, n, ":::MLLOG entry without a string \"key\"");
      e.key = j["key"].get<std::string>();
      e.value = j.contains("value") ? j["value"] : nlohmann::json();
      if (j.contains("time_ms")) {
        if (!j["time_ms"].is_number()) fail(file, n, ":::MLLOG time_ms is not a number");
        e.time_ms = j["time_ms"].get<double>();
      }
      if (j.contains("metadata") && j["metadata"].is_object()) {
        const auto& m = j["metadata"];
        e.is_error = m.contains("is_error") && m["is_error"].is_boolean() && m["is_error"].get<bool>();
        e.is_warning = m.contains("is_warning") && m["is_warning"].is_boolean() && m["is_warning"].get<bool>();
      }
    } else if (line.starts_with("\"pid\":")) {
      if (d.format.empty()) d.format = "v0.5";
      if (d.format != "v0.5") fail(file, n, "a v0.5 line in an :::MLLOG detail log");
      // "pid": P, "tid": T, "ts": Nns : key : value
      auto ts = line.find("\"ts\":");
      auto ns = ts == std::string_view::npos ? ts : line.find("ns", ts);
      if (ts == std::string_view::npos || ns == std::string_view::npos)
        fail(file, n, "v0.5 detail line without \"ts\": <N>ns");
      auto t = to_integer(trim(line.substr(ts + 5, ns - ts - 5)));
      if (!t) fail(file, n, "v0.5 detail line: the timestamp is not an integer count of ns");
      e.time_ms = static_cast<double>(*t) / 1e6;
      auto rest = trim(line.substr(ns + 2));
      if (!rest.starts_with(":")) fail(file, n, "v0.5 detail line: expected ':' after the timestamp");
      rest = trim(rest.substr(1));
      auto sep = rest.find(" : ");
      if (sep == std::string_view::npos) {
        e.key = std::string(rest);
      } else {
        e.key = std::string(trim(rest.substr(0, sep)));
        e.value = std::string(trim(rest.substr(sep + 3)));
      }
      e.is_error = e.key == "ERROR";
      e.is_warning = e.key == "WARNING";
    } else {
      if (d.format.empty()) fail(file, n, "not a LoadGen detail log: expected :::MLLOG or v0.5 \"pid\" lines");
      fail(file, n, "not a LoadGen detail line");
    }
    if (e.time_ms) {
      if (!d.first_time_ms || *e.time_ms < *d.first_time_ms) d.first_time_ms = e.time_ms;
      if (!d.last_time_ms || *e.time_ms > *d.last_time_ms) d.last_time_ms = e.time_ms;
    }
    auto text_of = [](const nlohmann::json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); };
    if ((e.key == "loadgen_version" || e.key == "version") && d.loadgen_version.empty()) d.loadgen_version = text_of(e.value);
    if (e.key == "effective_scenario" || (e.key == "requested_scenario" && d.scenario.empty()))
      d.scenario = normalise_scenario(text_of(e.value));
    if (e.key == "result_validity") d.result_validity = validity(text_of(e.value)).value_or(text_of(e.value));
    if (e.is_error) d.errors.push_back(e.key == "ERROR" ? text_of(e.value) : e.key + ": " + text_of(e.value));
    if (e.is_warning) d.warnings.push_back(e.key == "WARNING" ? text_of(e.value) : e.key + ": " + text_of(e.value));
    d.entries.push_back(std::move(e));
  }
  if (d.entries.empty()) fail(file, 0, "empty LoadGen detail log");
  return d;
}

LoadGenLog parse_loadgen_log(std::string_view text, const std::string& file) {
  LoadGenLog l;
  l.file = file;
  if (auto bad = first_bad_byte(text)) fail(file, line_of(text, *bad), "not UTF-8 text (binary data): not a LoadGen log");
  // The first non-blank line tells the kind.
  std::string_view first;
  for (auto line : lines_of(text))
    if (!trim(line).empty()) {
      first = trim(line);
      break;
    }
  if (first.empty()) fail(file, 0, "empty file: not a LoadGen log");
  if (first.starts_with(":::MLLOG") || first.starts_with("\"pid\":")) {
    l.kind = "detail";
    l.detail = parse_detail(text, file);
  } else if (auto f = lower(collapse(first)); is_rule(f) || f == "mlperf results summary" ||
             ((f.starts_with("no ") || std::isdigit(static_cast<unsigned char>(f.front()))) &&
              f.find(" encountered") != std::string::npos)) {
    l.kind = "summary";
    l.summary = parse_summary(text, file);
  } else {
    fail(file, 0, "not a LoadGen log: neither an mlperf_log_summary.txt nor an mlperf_log_detail.txt");
  }
  return l;
}

LoadGenLog load_loadgen_log(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(fmt::format("{}: cannot read", path.string()));
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_loadgen_log(ss.str(), path.string());
}

nlohmann::json to_json(const LoadGenSummary& s) {
  nlohmann::json j{{"scenario", s.scenario}, {"mode", s.mode}, {"result", s.result}, {"errors", s.errors},
                   {"warnings", s.warnings}};
  if (!s.sut_name.empty()) j["sut_name"] = s.sut_name;
  if (!s.headline_name.empty()) j["headline"] = {{"name", s.headline_name}, {"value", s.headline_value.value_or(0)}};
  auto opt = [&](const char* name, const std::optional<double>& v) {
    if (v) j[name] = *v;
  };
  opt("samples_per_second", s.samples_per_second);
  opt("completed_samples_per_second", s.completed_samples_per_second);
  opt("scheduled_samples_per_second", s.scheduled_samples_per_second);
  opt("samples_per_query", s.samples_per_query);
  opt("tokens_per_second", s.tokens_per_second);
  opt("qps_with_loadgen_overhead", s.qps_with_overhead);
  opt("qps_without_loadgen_overhead", s.qps_without_overhead);
  opt("qps", s.qps());
  if (!s.has_results) j["has_results"] = false;
  if (!s.satisfied.empty()) j["satisfied"] = s.satisfied;
  if (!s.skipped.empty()) j["skipped"] = s.skipped;
  latency_json(j, "latency_ns", s.latency);
  latency_json(j, "first_token_latency_ns", s.first_token);
  latency_json(j, "time_per_output_token_ns", s.time_per_output_token);
  if (!s.early_stopping.empty()) {
    auto a = nlohmann::json::array();
    for (const auto& e : s.early_stopping)
      a.push_back({{"kind", e.kind}, {"lines", e.lines}, {"estimates_ns", e.estimates}});
    j["early_stopping"] = a;
  }
  if (!s.recommendations.empty()) j["recommendations"] = s.recommendations;
  if (!s.test_parameters.empty()) j["test_parameters"] = s.test_parameters;
  if (!s.other.empty()) j["other"] = s.other;
  if (!s.notes.empty()) j["notes"] = s.notes;
  return j;
}

nlohmann::json to_json(const LoadGenDetail& d) {
  nlohmann::json j{{"format", d.format}, {"entries", d.entries.size()}, {"errors", d.errors}, {"warnings", d.warnings}};
  if (!d.loadgen_version.empty()) j["loadgen_version"] = d.loadgen_version;
  if (!d.scenario.empty()) j["scenario"] = d.scenario;
  if (!d.result_validity.empty()) j["result_validity"] = d.result_validity;
  if (d.first_time_ms) j["first_time_ms"] = *d.first_time_ms;
  if (d.last_time_ms) j["last_time_ms"] = *d.last_time_ms;
  nlohmann::json keys = nlohmann::json::object();
  for (const auto& e : d.entries)
    if (!e.is_error && !e.is_warning && !keys.contains(e.key)) keys[e.key] = e.value;
  j["values"] = keys;
  return j;
}

nlohmann::json to_json(const LoadGenLog& l) {
  nlohmann::json j{{"file", l.file}, {"kind", l.kind}};
  if (l.summary) j.update(to_json(*l.summary));
  if (l.detail) j.update(to_json(*l.detail));
  return j;
}

}  // namespace synergai::profiling
