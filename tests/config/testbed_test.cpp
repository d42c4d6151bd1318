#include "config/testbed.hpp"

#include "tests/config/fixtures.hpp"
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

BOOST_AUTO_TEST_CASE(a_replicated_entry_becomes_numbered_nodes_of_one_profile) {
  auto tb = test::tiny_with_three_edge_boards();
  BOOST_TEST_REQUIRE(tb.nodes.size() == 4u);
  BOOST_TEST(tb.nodes[1].name == "edge-1");
  BOOST_TEST(tb.nodes[3].name == "edge-3");
  BOOST_TEST(tb.nodes[3].kubernetes_node == "jetson-nx-1-3");
  BOOST_TEST(tb.nodes[3].power_modes.size() == 2u);
  BOOST_TEST(tb.find_node("edge") == nullptr);  // the entry's name is the profile's, not a node's
  BOOST_TEST(tb.profile_of("edge-2") == "edge");
  BOOST_TEST(tb.profile_of("server") == "server");
  auto profiles = tb.profiles();
  BOOST_TEST_REQUIRE(profiles.size() == 2u);
  BOOST_TEST(profiles[1].name == "edge");
  BOOST_TEST(tb.find_profile("edge").has_value());
  BOOST_TEST(!tb.find_profile("edge-2").has_value());
}

BOOST_AUTO_TEST_CASE(replicas_must_be_a_positive_count_and_their_names_free) {
  auto doc = parse_yaml(R"(testbed: t
nodes:
  - {name: a, kubernetes_node: a, arch: amd64, tier: cloud, cpus: 2, memory_gib: 1, thread_options: [1], replicas: 0}
  - {name: b, kubernetes_node: b, arch: amd64, tier: cloud, cpus: 2, memory_gib: 1, thread_options: [1], replicas: 2}
  - {name: b-2, kubernetes_node: c, arch: amd64, tier: cloud, cpus: 2, memory_gib: 1, thread_options: [1]}
  - {name: b, kubernetes_node: d, arch: amd64, tier: cloud, cpus: 2, memory_gib: 1, thread_options: [1]}
engines: []
)",
                        "t.yaml");
  try {
    read_testbed(doc);
    BOOST_FAIL("accepted");
  } catch (const ValidationError& e) {
    std::string what = e.what();
    BOOST_TEST(what.find("nodes[0].replicas") != std::string::npos, what);
    BOOST_TEST(what.find("duplicate node name \"b-2\"") != std::string::npos, what);
    BOOST_TEST(what.find("duplicate node name \"b\"") != std::string::npos, what);
  }
}

BOOST_AUTO_TEST_SUITE_END()
