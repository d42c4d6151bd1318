#include "profiling/loadgen_log.hpp"
#include "profiling/campaign.hpp"
#include "support/errors.hpp"

#include "tests/profiling/fixtures.hpp"
#include "tests/support.hpp"

#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <set>

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

// LoadGen (since v1.0) writes a failed check as "NO", upper case; v0.5 wrote
// "No". Either is a result: the run is INVALID, the file is not malformed.
BOOST_AUTO_TEST_CASE(upper_case_no_is_an_invalid_result) {
  auto a = fixture("v1.0-singlestream-invalid-summary.txt").summary.value();
  BOOST_TEST(a.result == "INVALID");
  BOOST_TEST(!a.satisfied.at("Min duration satisfied"));
  BOOST_TEST(!a.satisfied.at("Min queries satisfied"));
  BOOST_TEST(a.recommendations.size() == 2u);
  // The advice LoadGen wraps onto an indented line stays with its bullet.
  BOOST_TEST(a.recommendations[1] == "The test exited early, before enough queries were issued. See the detailed "
                                     "log for why this may have occurred.");
  BOOST_TEST(a.notes.empty());
  BOOST_TEST(a.warnings == 1);
  BOOST_TEST(*a.qps() == 5.81);  // still measured: the caller decides what an INVALID run is worth

  auto b = fixture("v3.0-server-invalid-summary.txt").summary.value();
  BOOST_TEST(b.result == "INVALID");
  BOOST_TEST(!b.satisfied.at("Performance constraints satisfied"));
  BOOST_TEST(!b.satisfied.at("Early stopping satisfied"));
  BOOST_TEST(b.satisfied.at("Min duration satisfied"));
  BOOST_TEST(b.headline_name == "Scheduled samples per second");
  BOOST_TEST(b.early_stopping.size() == 1u);
  BOOST_TEST(b.early_stopping[0].lines.size() == 3u);
  BOOST_TEST(b.early_stopping[0].lines[2] == "Would need to run at least 48213 more queries, with the run being "
                                             "successful if every additional query were under latency.");
  BOOST_TEST(*b.completed_samples_per_second == 409.12);
}

BOOST_AUTO_TEST_CASE(skipped_checks_and_offline_invalid) {
  auto s = fixture("v4.1-offline-invalid-summary.txt").summary.value();
  BOOST_TEST(s.scenario == "Offline");
  BOOST_TEST(s.result == "INVALID");
  BOOST_TEST(!s.satisfied.at("Min duration satisfied"));
  BOOST_TEST(s.satisfied.count("Min queries satisfied") == 0u);
  BOOST_TEST(s.skipped == (std::vector<std::string>{"Min queries satisfied"}));
  BOOST_TEST(*s.samples_per_second == 96.2231);
  BOOST_TEST(s.recommendations.size() == 1u);
}

// A run that produced no sample: LoadGen prints "nan" for the rate and counts
// its errors. It parses as an INVALID result with no throughput.
BOOST_AUTO_TEST_CASE(error_run_with_non_finite_metrics) {
  auto s = fixture("v5.0-offline-error-summary.txt").summary.value();
  BOOST_TEST(s.result == "INVALID");
  BOOST_TEST(s.errors == 2);
  BOOST_TEST(!s.samples_per_second.has_value());
  BOOST_TEST(s.other.at("Samples per second") == "nan");
  BOOST_TEST(s.headline_name.empty());
  BOOST_TEST(!s.qps().has_value());
  BOOST_TEST(s.recommendations.size() == 2u);
  auto d = fixture("v5.0-invalid-detail.txt").detail.value();
  BOOST_TEST(d.result_validity == "INVALID");  // written "invalid"
  BOOST_TEST(d.scenario == "Offline");
  BOOST_TEST(d.errors.size() == 2u);
  BOOST_TEST(d.loadgen_version == "5.0.7 @ 41f7c2d9e0");
}

// Every case of yes/no, valid/invalid, skipped; keys and a whole section this
// parser does not know (as a later LoadGen may add) are kept, not refused.
BOOST_AUTO_TEST_CASE(any_case_unknown_keys_and_sections) {
  auto s = fixture("v6.1-server-llm-lowercase-summary.txt").summary.value();
  BOOST_TEST(s.scenario == "Server");
  BOOST_TEST(s.result == "VALID");
  BOOST_TEST(s.satisfied.at("Performance constraints satisfied"));
  BOOST_TEST(s.satisfied.at("Early stopping satisfied"));
  BOOST_TEST(s.skipped == (std::vector<std::string>{"Min queries satisfied"}));
  BOOST_TEST(s.headline_name == "Completed samples per second");
  BOOST_TEST(*s.completed_samples_per_second == 7.42);
  BOOST_TEST(*s.scheduled_samples_per_second == 7.51);
  BOOST_TEST(*s.tokens_per_second == 2101.77);
  BOOST_TEST(s.early_stopping.size() == 2u);
  BOOST_TEST(s.early_stopping[1].kind == "TPOT");
  BOOST_TEST(*s.time_per_output_token.mean == 52211043);  // "Time per Output Token" spelling
  BOOST_TEST(s.time_per_output_token.percentiles.at("99.9") == 94402117);
  BOOST_TEST(s.first_token.percentiles.at("50") == 301227410);
  BOOST_TEST(s.other.at("Mean output tokens per sample") == "283.2");
  // The unknown section's values go to `other`, not into the test parameters.
  BOOST_TEST(s.other.at("Total output tokens") == "2014880");
  BOOST_TEST(s.other.at("Output token histogram") == "see detail log");
  BOOST_TEST(s.test_parameters.count("Total output tokens") == 0u);
  BOOST_TEST(s.test_parameters.at("enforce_max_duration") == "0");
  BOOST_TEST(s.notes == (std::vector<std::string>{"Token Statistics"}));

  // Case variants written into an otherwise fixed summary.
  for (std::string result : {"VALID", "Valid", "valid", "INVALID", "Invalid", "invalid"})
    for (std::string check : {"Yes", "YES", "yes", "No", "NO", "no"}) {
      auto t = parse_summary("MLPerf Results Summary\nScenario : Offline\nMode : PerformanceOnly\n"
                             "Samples per second : 10\nResult is : " + result + "\n  Min duration satisfied : " +
                             check + "\nNo errors encountered during test.\n", "case");
      BOOST_TEST(t.result == (result.size() == 5 ? "VALID" : "INVALID"));
      BOOST_TEST(t.satisfied.at("Min duration satisfied") == (check.size() == 3));
    }
}

BOOST_AUTO_TEST_CASE(single_stream_token_latencies) {
  auto s = fixture("v5.1-singlestream-llm-summary.txt").summary.value();
  BOOST_TEST(s.result == "VALID");
  BOOST_TEST(s.headline_name == "90th first token percentile latency (ns)");
  BOOST_TEST(*s.headline_value == 182400551);
  BOOST_TEST(s.first_token.percentiles.at("90") == 182400551);
  BOOST_TEST(*s.first_token.min == 120033871);
  BOOST_TEST(*s.time_per_output_token.max == 19803412);
  BOOST_TEST(*s.tokens_per_second == 64.12);
  BOOST_TEST(s.other.at("TPS w/o loadgen overhead") == "65.30");
  BOOST_TEST(*s.qps() == 0.50);
  BOOST_TEST(s.early_stopping.size() == 2u);
  BOOST_TEST(s.early_stopping[0].kind == "TTFT");
  BOOST_TEST(s.early_stopping[0].estimates.at("90") == 190017220);
  BOOST_TEST(s.early_stopping[0].lines.size() == 4u);
  BOOST_TEST(s.early_stopping[0].lines[3] == "Not enough queries processed for 99th percentile early stopping estimate "
                                            "(would need to process at least 662 total queries).");
  BOOST_TEST(s.notes.empty());
  BOOST_TEST(s.test_parameters.at("use_token_latencies") == "1");
}

BOOST_AUTO_TEST_CASE(v07_multistream) {
  auto s = fixture("v0.7-multistream-summary.txt").summary.value();
  BOOST_TEST(s.scenario == "MultiStream");  // "Multi Stream"
  BOOST_TEST(s.mode == "Performance");
  BOOST_TEST(*s.samples_per_query == 24);
  BOOST_TEST(s.headline_name == "Samples per query");
  BOOST_TEST(*s.latency.mean == 41155320);
  BOOST_TEST(s.test_parameters.at("print_timestamps") == "false");
}

// An accuracy run leaves a summary of just the warnings and errors lines.
BOOST_AUTO_TEST_CASE(accuracy_run_summary_has_no_results) {
  auto l = fixture("v6.0-accuracy-summary.txt");
  BOOST_TEST(l.kind == "summary");
  BOOST_TEST(!l.summary->has_results);
  BOOST_TEST(l.summary->result == "");
  BOOST_TEST(l.summary->errors == 0);
  BOOST_TEST(!l.summary->qps().has_value());
  BOOST_TEST(to_json(l)["has_results"] == false);
  // Neither it nor an INVALID run becomes a profiled point, each for its reason.
  BOOST_TEST(unusable_result(*l.summary).value() ==
             "the summary holds no performance result (an accuracy-only run)");
  BOOST_TEST(unusable_result(fixture("v1.0-singlestream-invalid-summary.txt").summary.value()).value() ==
             "result INVALID");
  BOOST_TEST(!unusable_result(fixture("v6.0-offline-summary.txt").summary.value()));
  // Anything else before the banner is still not a summary.
  BOOST_CHECK_THROW((void)parse_summary("No warnings encountered during test.\nScenario : Offline\n", "x"), InputError);
  BOOST_CHECK_THROW((void)parse_summary("No warnings encountered during test.\n", "x"), InputError);
}

// Every summary and detail fixture parses: all LoadGen versions and scenarios
// the fixtures cover, VALID and INVALID alike.
BOOST_AUTO_TEST_CASE(every_fixture_parses) {
  int summaries = 0, invalid = 0;
  std::set<std::string> scenarios;
  for (const auto& entry : std::filesystem::directory_iterator(test::source_path("tests/data/loadgen"))) {
    auto name = entry.path().filename().string();
    if (name.starts_with("truncated") || name.starts_with("foreign")) continue;
    auto l = load_loadgen_log(entry.path());
    if (!l.summary || !l.summary->has_results) continue;
    ++summaries;
    scenarios.insert(l.summary->scenario);
    if (l.summary->result == "INVALID") ++invalid;
  }
  BOOST_TEST(summaries >= 14);
  BOOST_TEST(invalid >= 6);
  BOOST_TEST(scenarios == (std::set<std::string>{"Offline", "Server", "SingleStream", "MultiStream"}));
}

// The campaign reads an INVALID run's logs (written with "NO", as LoadGen
// writes them) as a failed attempt with reason "result INVALID", not as an
// unparsable log.
BOOST_AUTO_TEST_CASE(campaign_counts_invalid_runs_as_failed_attempts) {
  const auto& tb = test::thesis();
  PlanOptions po;
  po.nodes = {"x86"};
  po.engines = {tb.engines.front().id};
  auto plan = make_plan(tb, &test::thesis_model(), po);
  SimulatedOptions so;
  so.failure_rate = 1;  // every attempt fails one of three ways
  SimulatedExecutor ex{tb, test::thesis_model(), so};
  test::TempDir dir{"loadgen-invalid"};
  int invalid = 0;
  for (int attempt = 1; attempt <= 30; ++attempt) {
    auto out = ex.run(plan.front(), attempt, dir);
    BOOST_TEST(!out.ok);
    BOOST_TEST(out.failure.find("expected Yes or No") == std::string::npos, out.failure);
    if (out.failure == "result INVALID") {
      ++invalid;
      auto summary = test::read_text(dir / "mlperf_log_summary.txt");
      BOOST_TEST(summary.find("Min duration satisfied : NO") != std::string::npos);
    }
  }
  BOOST_TEST(invalid > 0);
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
