// Reading what MLPerf LoadGen writes (v0.5 to v6.x): mlperf_log_summary.txt
// and mlperf_log_detail.txt (docs/profiling.md).
//
// Summaries are "key : value" lines under banners ("MLPerf Results Summary",
// "Additional Stats", "Test Parameters Used"); spacing around the colon, blank
// lines, the case of Yes/NO and VALID/INVALID, and which metric is the
// headline vary between versions, so the parser keys on the field names and
// keeps what it does not know (keys, sections, values) as written. An INVALID
// run is a result (result == "INVALID"), not an error. An accuracy run's
// summary holds only the warnings and errors lines (has_results == false).
// Detail logs are ":::MLLOG {json}" lines (v0.6 on) or, in v0.5, plain lines
// `"pid": P, "tid": T, "ts": Nns : key : value`.
// A truncated or foreign file is an InputError; no input may crash it.
#pragma once

#include <nlohmann/json.hpp>

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace synergai::profiling {

// Latency rows of one kind (request latency, first token, time per output token), in ns.
struct LatencyStats {
  std::optional<double> min, max, mean;
  std::map<std::string, double> percentiles;  // "90.0", "99.9", ... -> ns
  bool empty() const { return !min && !max && !mean && percentiles.empty(); }
};

struct EarlyStopping {
  std::string kind;                // "" (query latency), "TTFT", "TPOT"
  std::vector<std::string> lines;  // the " * ..." lines as written
  std::map<std::string, double> estimates;  // "90.0" -> ns ("Early stopping 90th percentile estimate")
};

struct LoadGenSummary {
  std::string sut_name;
  std::string scenario;  // SingleStream, MultiStream, Server, Offline (normalised)
  std::string mode;      // PerformanceOnly, AccuracyOnly, ...
  std::string result;    // VALID or INVALID, whatever case LoadGen wrote; "" without results
  bool has_results = true;  // false: only the warnings/errors lines (an accuracy run)
  std::string headline_name;  // the metric line right before "Result is"
  std::optional<double> headline_value;
  // Throughput metrics, when present.
  std::optional<double> samples_per_second;            // Offline, or Server where unqualified
  std::optional<double> completed_samples_per_second;  // Server v2.1+
  std::optional<double> scheduled_samples_per_second;  // Server
  std::optional<double> samples_per_query;             // MultiStream <= v1.1
  std::optional<double> tokens_per_second;             // language models (TPS w/ loadgen overhead in SingleStream)
  std::optional<double> qps_with_overhead, qps_without_overhead;  // SingleStream / MultiStream
  std::map<std::string, bool> satisfied;  // "Min duration satisfied" -> true (Yes), false (No), any case
  std::vector<std::string> skipped;       // checks LoadGen reports as "Skipped" ("Min queries satisfied")
  LatencyStats latency, first_token, time_per_output_token;
  std::vector<EarlyStopping> early_stopping;
  std::vector<std::string> recommendations;
  std::map<std::string, std::string> test_parameters;
  // Any other "key : value" line, and a metric or check whose value is not a
  // finite number or Yes/No (e.g. "Samples per second : nan" of a failed run).
  std::map<std::string, std::string> other;
  int warnings = 0;  // -1: "warnings encountered" with no count
  int errors = 0;
  std::vector<std::string> notes;  // free text lines we did not interpret

  // Queries per second of a SingleStream profiling run (QPS w/ loadgen
  // overhead, else samples per second, else 1e9 / mean latency).
  std::optional<double> qps() const;
};

struct LoadGenEntry {
  std::string key;
  nlohmann::json value;
  std::optional<double> time_ms;  // MLLOG: epoch ms; v0.5: ts in ns / 1e6 (relative)
  bool is_error = false;
  bool is_warning = false;
  int line = 0;
};

struct LoadGenDetail {
  std::string format;  // "mllog" or "v0.5"
  std::string loadgen_version;
  std::vector<LoadGenEntry> entries;
  std::optional<double> first_time_ms, last_time_ms;
  std::string scenario;        // effective_scenario / requested_scenario
  std::string result_validity; // VALID / INVALID when present (upper-cased)
  std::vector<std::string> errors, warnings;
};

struct LoadGenLog {
  std::string file;
  std::string kind;  // "summary" or "detail"
  std::optional<LoadGenSummary> summary;
  std::optional<LoadGenDetail> detail;
};

std::string normalise_scenario(std::string_view s);  // "Single Stream" -> "SingleStream"; "" if unknown

LoadGenSummary parse_summary(std::string_view text, const std::string& file);
// Why a run with this summary cannot become a profiled point: "result INVALID",
// or an accuracy-only run with no performance result; empty when it can.
std::optional<std::string> unusable_result(const LoadGenSummary& summary);
LoadGenDetail parse_detail(std::string_view text, const std::string& file);
// Detects the kind by content. Throws InputError.
LoadGenLog parse_loadgen_log(std::string_view text, const std::string& file);
LoadGenLog load_loadgen_log(const std::filesystem::path& path);

nlohmann::json to_json(const LoadGenSummary& s);
nlohmann::json to_json(const LoadGenDetail& d);
nlohmann::json to_json(const LoadGenLog& l);

}  // namespace synergai::profiling
