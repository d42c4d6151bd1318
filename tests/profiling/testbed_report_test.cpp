#include "profiling/testbed_report.hpp"

#include "profiling/performance_model.hpp"
#include "tests/profiling/fixtures.hpp"

#include <boost/test/unit_test.hpp>

#include <cmath>
#include <unistd.h>

using namespace synergai;
using namespace synergai::profiling;
using synergai::test::thesis;

namespace {

const TestbedReport& report() {
  static const auto r = thesis_report(thesis(), build_dictionary(thesis(), load_testbed_model(thesis())));
  return r;
}

const ReportRow* find_row(const std::string& figure) {
  for (const auto& r : report().rows)
    if (r.figure == figure) return &r;
  return nullptr;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(testbed_report)

// One check per published figure, so a failure names it.
BOOST_AUTO_TEST_CASE(every_checked_figure_is_within_its_tolerance) {
  for (const auto& r : report().rows) {
    if (r.identity()) {
      BOOST_TEST(r.ok(), r.section << ": " << r.figure << ": expected " << r.expected << ", model gives " << r.actual);
    } else if (r.tolerance) {
      BOOST_TEST(r.ok(), r.section << ": " << r.figure << ": target " << r.target << ", model " << r.value
                                   << ", error " << 100 * r.relative_error() << "% > " << 100 * *r.tolerance << "%");
    } else {
      BOOST_TEST(!r.note.empty(), r.figure << " is informational without saying why");
    }
  }
  for (const auto& q : report().qos) {
    auto check = [&](const char* set, double published, double model) {
      BOOST_TEST(std::abs(model - published) <= table71_tolerance * published,
                 "Table 7.1 " << q.engine << " " << q.queries << " q " << set << ": published " << published
                              << ", model " << model);
    };
    check("DH", q.published.high_intensity.count(), q.model.high_intensity.count());
    check("DL", q.published.low_intensity.count(), q.model.low_intensity.count());
  }
  BOOST_TEST(report().ok());
}

BOOST_AUTO_TEST_CASE(the_report_covers_the_issue_tolerances) {
  // Table 7.1 at 3%, QPS figures and ratios at 10%, pre-processing anchors at 5%.
  BOOST_TEST(report().qos.size() == 48u);
  auto tolerance_of = [](const std::string& figure) {
    const auto* r = find_row(figure);
    BOOST_TEST_REQUIRE(r, "no row " << figure);
    return r->tolerance.value_or(-1);
  };
  BOOST_TEST(tolerance_of("tf-resnet50 median (DL) s") == 0.03);
  BOOST_TEST(tolerance_of("x86 QPS min") == 0.10);
  BOOST_TEST(tolerance_of("x86 QPS max") == 0.10);
  BOOST_TEST(tolerance_of("x86 QPS mean") == 0.10);
  BOOST_TEST(tolerance_of("x86 / AGX mean QPS") == 0.10);
  BOOST_TEST(tolerance_of("QPS speed-up at 16 threads") == 0.10);
  BOOST_TEST(tolerance_of("mode 6 / mode 1") == 0.10);
  BOOST_TEST(tolerance_of("mode 9 / mode 1") == 0.10);
  BOOST_TEST(tolerance_of("x86 tf-resnet50") == 0.05);
  BOOST_TEST(tolerance_of("x86 onnx-mobilenet-op11 (19x tf-resnet50)") == 0.05);
  int gated = 0;
  for (const auto& r : report().rows) gated += r.gated();
  BOOST_TEST(gated >= 120);
}

BOOST_AUTO_TEST_CASE(best_engine_per_node_is_as_published) {
  auto d = build_dictionary(thesis(), load_testbed_model(thesis()));
  for (auto [node, best] : {std::pair{"x86", "onnx-mobilenet-op11"}, std::pair{"agx", "onnx-mobilenet-op11"},
                            std::pair{"nx", "tf-mobilenet"}}) {
    std::string fastest;
    double top = 0;
    for (const auto& e : thesis().engines)
      if (d.optimum(e.id, node)->qps > top) {
        top = d.optimum(e.id, node)->qps;
        fastest = e.id;
      }
    BOOST_TEST(fastest == best, node);
  }
}

BOOST_AUTO_TEST_CASE(scenario_inputs_are_positive_and_ordered) {
  const auto& a = report().arrivals;
  BOOST_TEST(a.high_frequency.count() > 0);
  BOOST_TEST(a.high_frequency < a.low_frequency);
}

BOOST_AUTO_TEST_CASE(command_prints_every_section_and_exits_0) {
  auto r = test::run_program("testbed report --testbed config/testbeds/thesis.yaml");
  BOOST_TEST(r.exit_code == 0, r.output);
  for (const char* text : {"## Table 7.1", "## x86 QPS", "## Thread scaling", "## Power modes on NX",
                           "## Pre-processing", "## QoS targets", "FL (low frequency, median)",
                           "FH (high frequency, 25th percentile)", "checked figures within tolerance"})
    BOOST_TEST(r.output.find(text) != std::string::npos, text);
  BOOST_TEST(r.output.find("FAIL") == std::string::npos, r.output);
}

BOOST_AUTO_TEST_CASE(command_exits_3_when_a_dictionary_misses_a_figure) {
  auto d = build_dictionary(thesis(), load_testbed_model(thesis()));
  // Halve the fastest x86 engine: the x86 maximum QPS is then far off.
  auto p = *d.find("onnx-mobilenet-op11", "x86", ExecConfig{16, std::nullopt});
  p.qps /= 2;
  d.add(p);
  test::TempDir dir{"report"};
  auto file = dir / "dictionary.json";
  config::save_dictionary(d, file);
  auto r = test::run_program("testbed report --testbed config/testbeds/thesis.yaml --dictionary '" + file.string() + "'");
  BOOST_TEST(r.exit_code == 3, r.output);
  BOOST_TEST(r.output.find("x86 QPS max") != std::string::npos);
  BOOST_TEST(r.output.find("FAIL") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(report_needs_the_thesis_nodes) {
  auto tiny = config::load_testbed(test::source_path("config/examples/tiny.yaml"));
  BOOST_CHECK_THROW(thesis_report(tiny, config::Dictionary{}), InputError);
}

BOOST_AUTO_TEST_SUITE_END()
