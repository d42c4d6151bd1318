#include "profiling/loadgen_log.hpp"
#include "support/errors.hpp"

#include "tests/support.hpp"

#include <boost/test/unit_test.hpp>

using namespace synergai;
using namespace synergai::profiling;

namespace {

LoadGenLog fixture(const std::string& name) { return load_loadgen_log(test::source_path("tests/data/loadgen/" + name)); }

std::string error_of(const std::string& name) {
  try {
    (void)fixture(name);
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

BOOST_AUTO_TEST_SUITE(loadgen_log)

BOOST_AUTO_TEST_CASE(v05_single_stream_summary) {
  auto l = fixture("v0.5-singlestream-summary.txt");
  BOOST_TEST(l.kind == "summary");
  const auto& s = *l.summary;
  BOOST_TEST(s.scenario == "SingleStream");
  BOOST_TEST(s.mode == "Performance");
  BOOST_TEST(s.result == "VALID");
  BOOST_TEST(s.headline_name == "90th percentile latency (ns)");
  BOOST_TEST(*s.headline_value == 25470914);
  BOOST_TEST(*s.qps() == 40.11);
  BOOST_TEST(*s.qps_without_overhead == 40.47);
  BOOST_TEST(*s.latency.min == 22930617);
  BOOST_TEST(*s.latency.mean == 24709271);
  BOOST_TEST(s.latency.percentiles.size() == 6u);
  BOOST_TEST(s.latency.percentiles.at("99.9") == 55804113);
  BOOST_TEST(s.latency.percentiles.at("90") == 25470914);
  BOOST_TEST(s.satisfied.at("Min duration satisfied"));
  BOOST_TEST(s.test_parameters.at("min_query_count") == "1024");
  BOOST_TEST(s.test_parameters.at("target_latency (ns)") == "0");
  BOOST_TEST(s.errors == 0);
  BOOST_TEST(s.warnings == 0);
}

BOOST_AUTO_TEST_CASE(v05_plain_detail) {
  auto l = fixture("v0.5-detail.txt");
  BOOST_TEST(l.kind == "detail");
  const auto& d = *l.detail;
  BOOST_TEST(d.format == "v0.5");
  BOOST_TEST(d.loadgen_version == ".5a1 @ 3e5d2cfc4c");
  BOOST_TEST(d.entries.size() == 10u);
  BOOST_TEST(*d.first_time_ms == 0.008356);
  BOOST_TEST(*d.last_time_ms == 60013.598112);
  BOOST_TEST(d.entries[7].key == "Starting performance mode");
}

BOOST_AUTO_TEST_CASE(offline_and_colon_spacing) {
  auto a = fixture("v1.1-offline-summary.txt").summary.value();
  BOOST_TEST(a.scenario == "Offline");
  BOOST_TEST(*a.samples_per_second == 1342.87);
  BOOST_TEST(a.headline_name == "Samples per second");
  auto b = fixture("v6.0-offline-summary.txt").summary.value();
  BOOST_TEST(b.scenario == "Offline");
  BOOST_TEST(b.sut_name == "PySUT");
  BOOST_TEST(*b.samples_per_second == 5021.3);
  BOOST_TEST(b.result == "VALID");
  BOOST_TEST(b.latency.percentiles.at("97") == 63701120990.0);
  BOOST_TEST(b.test_parameters.at("samples_per_query") == "330000");
  BOOST_TEST(b.other.at("Tokens per second (inferred)") == "0");
}

BOOST_AUTO_TEST_CASE(multistream_old_and_new) {
  auto a = fixture("v1.1-multistream-invalid-summary.txt").summary.value();
  BOOST_TEST(a.scenario == "MultiStream");
  BOOST_TEST(a.result == "INVALID");
  BOOST_TEST(*a.samples_per_query == 8);
  BOOST_TEST(a.headline_name == "Samples per query");
  BOOST_TEST(a.recommendations.size() == 1u);
  BOOST_TEST(a.recommendations[0] == "Reduce samples per query to improve latency.");
  BOOST_TEST(a.other.count("Per-query latency") == 1u);
  BOOST_TEST(a.latency.percentiles.at("99") == 57640712);
  auto b = fixture("v5.0-multistream-summary.txt").summary.value();
  BOOST_TEST(b.headline_name == "99th percentile latency (ns)");
  BOOST_TEST(*b.headline_value == 41203344);
  BOOST_TEST(b.early_stopping.size() == 1u);
  BOOST_TEST(b.early_stopping[0].estimates.at("99") == 41800217);
}

BOOST_AUTO_TEST_CASE(server_headlines_by_version) {
  auto a = fixture("v2.1-server-summary.txt").summary.value();
  BOOST_TEST(a.headline_name == "Scheduled samples per second");
  BOOST_TEST(*a.scheduled_samples_per_second == 99.87);
  BOOST_TEST(*a.completed_samples_per_second == 99.85);
  BOOST_TEST(a.satisfied.at("Performance constraints satisfied"));
  BOOST_TEST(a.early_stopping[0].lines[0] == "Run successful.");
  auto b = fixture("v4.1-server-llm-error-summary.txt").summary.value();
  BOOST_TEST(b.headline_name == "Completed tokens per second");
  BOOST_TEST(*b.completed_samples_per_second == 2.71);
  BOOST_TEST(*b.scheduled_samples_per_second == 2.75);
  BOOST_TEST(*b.tokens_per_second == 731.40);
  BOOST_TEST(b.result == "INVALID");
  BOOST_TEST(!b.satisfied.at("Early stopping satisfied"));
  BOOST_TEST(b.errors == 1);
  BOOST_TEST(b.warnings == 3);
  BOOST_TEST(*b.first_token.min == 281004117);
  BOOST_TEST(b.first_token.percentiles.at("99.9") == 8701200351.0);
  BOOST_TEST(*b.time_per_output_token.mean == 88401223);
  BOOST_TEST(b.time_per_output_token.percentiles.at("50") == 85220110);
  BOOST_TEST(b.latency.percentiles.at("99") == 110230556001.0);
  BOOST_TEST(b.early_stopping.size() == 2u);
  BOOST_TEST(b.early_stopping[0].kind == "TTFT");
  BOOST_TEST(b.early_stopping[1].kind == "TPOT");
  BOOST_TEST(b.early_stopping[1].estimates.at("99") == 108230011);
  BOOST_TEST(b.test_parameters.at("ttft_latency (ns)") == "2000000000");
}

BOOST_AUTO_TEST_CASE(v4_single_stream_with_early_stopping) {
  auto s = fixture("v4.0-singlestream-summary.txt").summary.value();
  BOOST_TEST(s.scenario == "SingleStream");
  BOOST_TEST(s.latency.percentiles.at("90") == 4102811);  // "90.0th" style row
  BOOST_TEST(s.early_stopping[0].estimates.at("90") == 4110472);
  BOOST_TEST(s.early_stopping[0].lines.size() == 4u);
  BOOST_TEST(s.warnings == 2);
  BOOST_TEST(*s.qps() == 243.79);
}

BOOST_AUTO_TEST_CASE(mllog_detail) {
  auto d = fixture("v4.0-detail.txt").detail.value();
  BOOST_TEST(d.format == "mllog");
  BOOST_TEST(d.loadgen_version == "4.0.0 @ 8bd2b1a7b4");
  BOOST_TEST(d.scenario == "SingleStream");
  BOOST_TEST(d.result_validity == "VALID");
  BOOST_TEST(d.errors.size() == 1u);
  BOOST_TEST(d.errors[0] == "error_invalid_config: Sample index out of range in the accuracy log");
  BOOST_TEST(d.warnings.size() == 1u);
  BOOST_TEST(*d.first_time_ms == 1707312844102.551025);
}

BOOST_AUTO_TEST_CASE(truncated_and_foreign_files) {
  BOOST_TEST(error_of("truncated-summary.txt").find("truncated LoadGen summary: ends before the errors line") !=
             std::string::npos);
  BOOST_TEST(error_of("truncated-detail.txt").find(":6: truncated :::MLLOG entry at the end of the file") !=
             std::string::npos);
  BOOST_TEST(error_of("foreign.txt").find("foreign.txt: not a LoadGen log") != std::string::npos);
  BOOST_CHECK_THROW((void)parse_loadgen_log("", "empty"), InputError);
  BOOST_CHECK_THROW((void)parse_loadgen_log("MLPerf Results Summary\nScenario : Quad Stream\n", "x"), InputError);
  BOOST_CHECK_THROW((void)parse_loadgen_log("MLPerf Results Summary\nResult is : MAYBE\n", "x"), InputError);
  BOOST_CHECK_THROW((void)parse_loadgen_log("MLPerf Results Summary\nMin latency (ns) : fast\n", "x"), InputError);
}

BOOST_AUTO_TEST_CASE(parse_command_prints_json) {
  auto r = test::run_program("profile parse tests/data/loadgen/v4.1-server-llm-error-summary.txt "
                             "tests/data/loadgen/v4.0-detail.txt");
  BOOST_TEST(r.exit_code == 0);
  auto j = nlohmann::json::parse(r.output);
  BOOST_TEST(j.size() == 2u);
  BOOST_TEST(j[0]["errors"] == 1);
  BOOST_TEST(j[0]["first_token_latency_ns"]["percentiles"]["90"] == 3450110082LL);
  BOOST_TEST(j[1]["loadgen_version"] == "4.0.0 @ 8bd2b1a7b4");
  auto bad = test::run_program("profile parse tests/data/loadgen/foreign.txt");
  BOOST_TEST(bad.exit_code == 2);
  BOOST_TEST(bad.output.find("not a LoadGen log") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(loadgen_text)

BOOST_AUTO_TEST_CASE(binary_input_is_rejected_with_its_line) {
  std::string bad = "================================================\nMLPerf Results Summary\nSUT name : \xff\xfe\n";
  BOOST_CHECK_EXCEPTION((void)parse_loadgen_log(bad, "x.txt"), InputError, [](const InputError& e) {
    return std::string{e.what()} == "x.txt:3: not UTF-8 text (binary data): not a LoadGen log";
  });
  // Valid multi-byte UTF-8 is text.
  auto s = parse_summary(
      "MLPerf Results Summary\nSUT name : caf\xc3\xa9\nScenario : Offline\nMode : PerformanceOnly\n"
      "Samples per second : 1\nResult is : VALID\nNo errors encountered during test.\n", "y");
  BOOST_TEST(s.sut_name == "caf\xc3\xa9");
}

BOOST_AUTO_TEST_SUITE_END()
