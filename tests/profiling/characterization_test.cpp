// The characterization of a dictionary (profiling/characterization.hpp) on a
// hand-made dictionary whose ratios are known, and on the thesis dictionary
// against the thesis's published figures.
#include "profiling/characterization.hpp"

#include "config/dictionary.hpp"
#include "tests/support.hpp"

#include <boost/test/unit_test.hpp>

using namespace synergai;
using namespace synergai::profiling;

namespace {

ProfilePoint point(const std::string& engine, const std::string& node, int threads, std::optional<int> mode, double qps) {
  return ProfilePoint{engine, node, ExecConfig{threads, mode}, qps, Seconds{1}, Seconds{1}, 10, "test"};
}

// Node "cpu": engine a scales 2x at 2 threads, engine b 1.5x; node "jetson":
// a at 50% in mode 1, b at 25%.
config::Dictionary handmade() {
  config::Dictionary d;
  d.testbed = "hand";
  for (auto p : {point("a", "cpu", 1, {}, 10), point("a", "cpu", 2, {}, 20), point("b", "cpu", 1, {}, 4),
                 point("b", "cpu", 2, {}, 6), point("a", "jetson", 4, 1, 5), point("a", "jetson", 4, 2, 10),
                 point("b", "jetson", 4, 1, 1), point("b", "jetson", 4, 2, 4)})
    d.add(p);
  d.set_optimum("a", "cpu", ExecConfig{2, {}});
  d.set_optimum("b", "cpu", ExecConfig{2, {}});
  d.set_optimum("a", "jetson", ExecConfig{4, 2});
  d.set_optimum("b", "jetson", ExecConfig{4, 2});
  return d;
}

}  // namespace

BOOST_AUTO_TEST_CASE(speedups_mode_shares_and_ranking_of_a_handmade_dictionary) {
  auto c = characterize(handmade());
  BOOST_TEST(c.points == 8u);
  BOOST_TEST_REQUIRE(c.nodes.size() == 2u);
  const auto& cpu = c.nodes[0];
  BOOST_TEST(cpu.node == "cpu");
  BOOST_TEST_REQUIRE(cpu.scaling.size() == 2u);
  BOOST_TEST(cpu.scaling[1].threads == 2);
  BOOST_TEST(cpu.scaling[1].engines.at("a") == 2.0);
  BOOST_TEST(cpu.scaling[1].engines.at("b") == 1.5);
  BOOST_TEST(cpu.scaling[1].mean == 1.75);
  BOOST_TEST(cpu.scaling[1].min == 1.5);
  BOOST_TEST(cpu.scaling[1].max == 2.0);
  BOOST_TEST(cpu.scaling[1].thesis.value() == 1.6);
  BOOST_TEST(cpu.modes.empty());
  BOOST_TEST_REQUIRE(cpu.ranking.size() == 2u);
  BOOST_TEST(cpu.ranking[0].engine == "a");

  const auto& jetson = c.nodes[1];
  BOOST_TEST(jetson.scaling.empty());
  BOOST_TEST_REQUIRE(jetson.modes.size() == 2u);
  BOOST_TEST(jetson.modes[0].mode == 1);
  BOOST_TEST(jetson.modes[0].mean == 0.375);
  BOOST_TEST(jetson.modes[1].mean == 1.0);

  auto text = render(c, "hand.json");
  BOOST_TEST(text.find("2 threads:  1.75x [1.50, 2.00]   thesis 1.6x") != std::string::npos, text);
  BOOST_TEST(text.find("mode   1:  37.5%") != std::string::npos, text);

  // A node measured at one thread count only has no scaling to show.
  config::Dictionary one;
  one.testbed = "hand";
  one.add(point("a", "cpu", 1, {}, 10));
  one.set_optimum("a", "cpu", ExecConfig{1, {}});
  auto single = characterize(one);
  BOOST_TEST(!single.nodes.at(0).scales());
  BOOST_TEST(render(single, "one.json").find("speed-up") == std::string::npos, render(single, "one.json"));
}

BOOST_AUTO_TEST_CASE(the_thesis_dictionary_shows_the_thesis_x86_curve) {
  auto tb = config::load_testbed(test::source_path("config/testbeds/thesis.yaml"));
  auto c = characterize(config::load_dictionary(test::source_path("config/dictionaries/thesis.json"), &tb));
  auto x86 = std::find_if(c.nodes.begin(), c.nodes.end(), [](const auto& n) { return n.node == "x86"; });
  BOOST_TEST_REQUIRE((x86 != c.nodes.end()));
  BOOST_TEST_REQUIRE(x86->scaling.size() == 5u);
  for (const auto& s : x86->scaling) {
    BOOST_TEST_REQUIRE(s.thesis.has_value());
    BOOST_TEST(std::abs(s.mean - *s.thesis) / *s.thesis < 0.10, s.threads << " threads: " << s.mean);
  }
  BOOST_TEST(x86->ranking.front().engine == "onnx-mobilenet-op11");
}
