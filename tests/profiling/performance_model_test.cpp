#include "profiling/performance_model.hpp"

#include "tests/profiling/fixtures.hpp"

#include <boost/test/unit_test.hpp>

#include <cmath>
#include <fstream>
#include <sstream>
#include <unistd.h>

using namespace synergai;
using namespace synergai::profiling;
using synergai::test::thesis;
using synergai::test::thesis_model;

namespace {

ExecConfig threads(int t) { return ExecConfig{t, std::nullopt}; }

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in{p, std::ios::binary};
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(performance_model)

BOOST_AUTO_TEST_CASE(equations_of_a_small_model) {
  auto tb = config::load_testbed(test::source_path("config/examples/tiny.yaml"));
  auto m = load_performance_model(test::source_path("tests/data/valid/tiny.model.yaml"), tb);
  // thread law: 50 * t^0.8 / (1 + 0.002 t (t-1))
  BOOST_TEST(m.qps("onnx-mobilenet-op11", "server", threads(1)) == 50.0, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(m.qps("onnx-mobilenet-op11", "server", threads(4)) == 50 * std::pow(4, 0.8) / 1.024,
             boost::test_tools::tolerance(1e-12));
  // mode law: 20 * (0.5 / 1.0)^1
  BOOST_TEST(m.qps("onnx-mobilenet-op11", "edge", ExecConfig{4, 1}) == 10.0, boost::test_tools::tolerance(1e-12));
  // pre-processing: 20 s at the most threads (4), 20 / 0.9 at 1 thread; x1.5 on the mode node
  BOOST_TEST(m.preprocessing("onnx-mobilenet-op11", "server", threads(4)).count() == 20.0,
             boost::test_tools::tolerance(1e-12));
  BOOST_TEST(m.preprocessing("onnx-mobilenet-op11", "server", threads(1)).count() == 20 / 0.9,
             boost::test_tools::tolerance(1e-12));
  BOOST_TEST(m.preprocessing("onnx-mobilenet-op11", "edge", ExecConfig{4, 9}).count() == 30.0,
             boost::test_tools::tolerance(1e-12));
  auto p = m.point("onnx-resnet50-op11", "edge", ExecConfig{4, 9});
  BOOST_TEST(p.qps == 4.0);
  BOOST_TEST(p.queries == 1000);
  BOOST_TEST(p.inference.count() == 250.0);
  BOOST_TEST(p.source == "model");
  BOOST_CHECK_THROW(m.qps("onnx-mobilenet-op11", "edge", ExecConfig{4, 5}), InputError);
  BOOST_CHECK_THROW(m.qps("onnx-mobilenet-op11", "server", threads(8)), InputError);
  BOOST_CHECK_THROW(m.qps("missing", "server", threads(1)), InputError);

  ThreadLaw collapse{10, 0.9, 0.001, Collapse{16, 1.0}};
  BOOST_TEST(collapse.speedup(8) > 5.0);
  BOOST_TEST(collapse.speedup(16) == 1.0);
}

BOOST_AUTO_TEST_CASE(dictionary_has_one_point_per_engine_node_configuration) {
  auto d = build_dictionary(thesis(), thesis_model());
  BOOST_TEST(d.points().size() == 12u * (5 + 6 + 9));
  BOOST_TEST(d.optimum_count() == 12u * 3);
  for (const auto& p : d.points()) {
    BOOST_TEST(p.source == "model");
    BOOST_TEST(p.queries == 3900);
    BOOST_TEST(p.qps > 0);
  }
}

BOOST_AUTO_TEST_CASE(x86_thread_scaling_rises_sub_linearly_except_the_tflite_quantized_collapse) {
  const auto& m = thesis_model();
  for (const auto& e : thesis().engines) {
    double q1 = m.qps(e.id, "x86", threads(1));
    double previous = q1;
    for (int t : {2, 4, 8, 16}) {
      double q = m.qps(e.id, "x86", threads(t));
      BOOST_TEST(q < t * q1, e.id << " scales super-linearly at " << t << " threads");
      if (e.id == "tflite-mobilenet-q" && t == 16) {
        BOOST_TEST(std::abs(q / q1 - 1) < 0.1, "tflite-mobilenet-q at 16 threads is back to 1-thread speed");
      } else {
        BOOST_TEST(q > previous, e.id << " QPS does not rise from " << t / 2 << " to " << t << " threads");
      }
      previous = q;
    }
    // pre-processing shrinks with threads, by at most 21%
    double p1 = m.preprocessing(e.id, "x86", threads(1)).count(), p16 = m.preprocessing(e.id, "x86", threads(16)).count();
    BOOST_TEST(p16 <= p1);
    BOOST_TEST(1 - p16 / p1 <= 0.21 + 1e-9);
  }
}

BOOST_AUTO_TEST_CASE(jetson_speed_follows_frequency_at_equal_cpu_count) {
  const auto& m = thesis_model();
  for (const char* name : {"agx", "nx"}) {
    const auto& node = *thesis().find_node(name);
    for (const auto& a : node.power_modes)
      for (const auto& b : node.power_modes)
        if (a.online_cpus == b.online_cpus && a.max_mhz < b.max_mhz)
          for (const auto& e : thesis().engines)
            BOOST_TEST(m.qps(e.id, name, ExecConfig{a.online_cpus, a.id}) <=
                           m.qps(e.id, name, ExecConfig{b.online_cpus, b.id}),
                       e.id << " on " << name << ": mode " << a.id << " faster than higher-frequency mode " << b.id);
    // the default (best) mode is the fastest for every engine
    for (const auto& e : thesis().engines)
      for (const auto& mode : node.power_modes)
        BOOST_TEST(m.qps(e.id, name, ExecConfig{mode.online_cpus, mode.id}) <=
                   m.qps(e.id, name, ExecConfig{node.find_mode(*node.default_mode)->online_cpus, *node.default_mode}));
  }
}

BOOST_AUTO_TEST_CASE(shipped_dictionary_is_what_the_model_gives_byte_for_byte) {
  auto shipped = read_file(test::source_path("config/dictionaries/thesis.json"));
  BOOST_TEST(config::dump_dictionary(build_dictionary(thesis(), thesis_model())) == shipped);

  test::TempDir dir{"dictionary"};
  auto out = dir / "thesis.json";
  auto r = test::run_program("dictionary build --testbed config/testbeds/thesis.yaml --out '" + out.string() + "'");
  BOOST_TEST(r.exit_code == 0, r.output);
  BOOST_TEST(read_file(out) == shipped, "config/dictionaries/thesis.json differs from a fresh `synergai dictionary "
                                        "build`; regenerate it");
}

BOOST_AUTO_TEST_CASE(validate_accepts_the_thesis_testbed_model_and_dictionary) {
  auto r = test::run_program("validate config/testbeds/thesis.yaml config/dictionaries/thesis.json "
                             "config/testbeds/thesis.model.yaml");
  BOOST_TEST(r.exit_code == 0, r.output);
  BOOST_TEST(r.output.find("testbed \"thesis\": 3 nodes, 12 engines") != std::string::npos, r.output);
  BOOST_TEST(r.output.find("240 points, 36 optima (checked against the testbed)") != std::string::npos, r.output);
}

BOOST_AUTO_TEST_CASE(a_model_must_cover_its_testbed) {
  const auto& tb = thesis();
  auto doc = config::read_yaml_file(tb.performance_model);
  doc.root["engines"].erase(doc.root["engines"].begin());
  doc.root["nodes"][1]["mode_speed"].erase("3");
  try {
    read_performance_model(doc, tb);
    BOOST_FAIL("an incomplete model was accepted");
  } catch (const config::ValidationError& e) {
    std::string all;
    for (const auto& d : e.diagnostics()) all += config::describe(d) + "\n";
    BOOST_TEST(all.find("no speed for power mode 3 of node agx") != std::string::npos, all);
    BOOST_TEST(all.find("no model for engine tf-resnet50") != std::string::npos, all);
  }
}

BOOST_AUTO_TEST_SUITE_END()
