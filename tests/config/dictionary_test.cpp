#include "config/dictionary.hpp"

#include "tests/config/fixtures.hpp"
#include "tests/support.hpp"

#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>

using namespace synergai;
using namespace synergai::config;

namespace {
ProfilePoint point(std::string engine, std::string node, ExecConfig c, double qps) {
  return ProfilePoint{std::move(engine), std::move(node), c, qps, Seconds{10}, Seconds{1000 / qps}, 1000, "test"};
}
}  // namespace

BOOST_AUTO_TEST_SUITE(dictionary)

BOOST_AUTO_TEST_CASE(loads_and_checks_against_the_testbed) {
  auto tb = load_testbed(test::source_path("config/examples/tiny.yaml"));
  auto d = load_dictionary(test::source_path("tests/data/valid/tiny-dictionary.json"), &tb);
  BOOST_TEST(d.points().size() == 4u);
  const auto* best = d.optimum("onnx-mobilenet-op11", "edge");
  BOOST_TEST_REQUIRE(best != nullptr);
  BOOST_TEST((best->config == ExecConfig{4, 9}));
  BOOST_TEST(d.points_for("onnx-mobilenet-op11", "server").size() == 2u);
  BOOST_TEST(d.optimum("onnx-resnet50-op11", "edge") == nullptr);
}

BOOST_AUTO_TEST_CASE(optimum_is_highest_qps_with_ties_to_fewer_threads_then_lower_power) {
  auto tb = load_testbed(test::source_path("config/examples/tiny.yaml"));
  Dictionary d;
  d.testbed = "tiny";
  d.add(point("e", "server", {1, std::nullopt}, 50));
  d.add(point("e", "server", {4, std::nullopt}, 90));
  d.add(point("e", "server", {2, std::nullopt}, 90));
  d.add(point("e", "edge", {4, 9}, 30));
  d.add(point("e", "edge", {4, 1}, 30));
  d.choose_optima(tb);
  BOOST_TEST(d.optimum("e", "server")->config.threads == 2);
  BOOST_TEST(*d.optimum("e", "edge")->config.mode == 1);  // same budget: lower id
}

BOOST_AUTO_TEST_CASE(adding_the_same_point_replaces_it) {
  Dictionary d;
  d.add(point("e", "n", {1, std::nullopt}, 50));
  d.add(point("e", "n", {1, std::nullopt}, 60));
  BOOST_TEST(d.points().size() == 1u);
  BOOST_TEST(d.points()[0].qps == 60.0);
}

BOOST_AUTO_TEST_CASE(saved_text_reads_back_identically) {
  auto tb = load_testbed(test::source_path("config/examples/tiny.yaml"));
  auto d = load_dictionary(test::source_path("tests/data/valid/tiny-dictionary.json"), &tb);
  auto text = dump_dictionary(d);
  auto again = read_dictionary(parse_json(text, "again.json"), &tb);
  BOOST_TEST(dump_dictionary(again) == text);
  BOOST_TEST(nlohmann::json::parse(text)["points"].size() == 4u);
}

BOOST_AUTO_TEST_CASE(replicas_find_the_points_of_their_entry) {
  auto tb = test::tiny_with_three_edge_boards();
  auto d = load_dictionary(test::source_path("tests/data/valid/tiny-dictionary.json"), &tb);
  for (const auto* node : {"edge-1", "edge-3"}) {
    const auto* best = d.optimum("onnx-mobilenet-op11", node);
    BOOST_TEST_REQUIRE(best != nullptr, node);
    BOOST_TEST(best->node == "edge");
    BOOST_TEST((best->config == ExecConfig{4, 9}));
    BOOST_TEST(d.find("onnx-mobilenet-op11", node, ExecConfig{4, 1}) != nullptr);
  }
  BOOST_TEST(d.points().size() == 4u);  // held once
  // A point under a replica's own name is refused, with the way out.
  auto json = nlohmann::json::parse(test::read_text(test::source_path("tests/data/valid/tiny-dictionary.json")));
  for (auto& p : json["points"])
    if (p["node"] == "edge") p["node"] = "edge-2";
  try {
    read_dictionary(parse_json(json.dump(), "replica.json"), &tb);
    BOOST_FAIL("accepted");
  } catch (const ValidationError& e) {
    BOOST_TEST(std::string{e.what()}.find("its points go under its entry's name") != std::string::npos, e.what());
  }
}

BOOST_AUTO_TEST_SUITE_END()
