#include "config/testbed.hpp"

#include "tests/support.hpp"

#include <boost/test/unit_test.hpp>

using namespace synergai;
using namespace synergai::config;

BOOST_AUTO_TEST_SUITE(testbed)

BOOST_AUTO_TEST_CASE(tiny_example_loads_completely) {
  auto tb = load_testbed(test::source_path("config/examples/tiny.yaml"));
  BOOST_TEST(tb.name == "tiny");
  BOOST_TEST_REQUIRE(tb.nodes.size() == 2u);
  const auto* edge = tb.find_node("edge");
  BOOST_TEST_REQUIRE(edge != nullptr);
  BOOST_TEST((edge->arch == Arch::arm64));
  BOOST_TEST(edge->power_modes.size() == 2u);
  BOOST_TEST(*edge->default_mode == 1);
  BOOST_TEST(edge->mode_switch_latency.count() == 2.0);
  BOOST_TEST(tb.find_node("server")->thread_options == (std::vector<int>{1, 2, 4}));
  const auto* e = tb.find_engine("onnx-resnet50-op11");
  BOOST_TEST_REQUIRE(e != nullptr);
  BOOST_TEST(e->container.args.at(5) == "{queries}");
  BOOST_TEST(e->variant == "opset-11");
  BOOST_TEST(Testbed::supports(*edge, ExecConfig{4, 9}));
  BOOST_TEST(!Testbed::supports(*edge, ExecConfig{6, 9}));
}

BOOST_AUTO_TEST_CASE(reports_every_error_of_a_file_at_once) {
  auto doc = parse_yaml(R"(testbed: t
nodes:
  - name: a
    kubernetes_node: a
    arch: sparc
    tier: cloud
    cpus: 2
    memory_gib: 0
    thread_options: [1, 4]
engines:
  - id: e
    task: translation
    backend: onnxruntime
    model: m
    dataset: d
    accuracy: 50
    accuracy_metric: top1
    thread_knob: k
    container: {image: i}
)",
                        "t.yaml");
  try {
    read_testbed(doc);
    BOOST_FAIL("expected a ValidationError");
  } catch (const ValidationError& e) {
    std::vector<std::string> paths;
    for (const auto& d : e.diagnostics()) paths.push_back(d.path);
    BOOST_TEST(paths == (std::vector<std::string>{"nodes[0].arch", "nodes[0].memory_gib",
                                                  "nodes[0].thread_options[1]", "engines[0].task"}),
               boost::test_tools::per_element());
  }
}

BOOST_AUTO_TEST_SUITE_END()
