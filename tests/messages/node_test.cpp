#include "messages/node.hpp"

#include <boost/test/unit_test.hpp>
#include <fmt/format.h>

using namespace synergai;

BOOST_AUTO_TEST_SUITE(node)

BOOST_AUTO_TEST_CASE(thread_tuned_node_explores_its_thread_options_in_order) {
  NodeSpec n;
  n.name = "x86";
  n.cpus = 16;
  n.thread_options = {16, 1, 4};
  auto configs = n.configurations();
  BOOST_TEST_REQUIRE(configs.size() == 3u);
  BOOST_TEST(configs[0].threads == 1);
  BOOST_TEST(configs[2].threads == 16);
  BOOST_TEST(!configs[0].mode.has_value());
}

BOOST_AUTO_TEST_CASE(mode_tuned_node_runs_with_the_modes_online_cpus) {
  NodeSpec n;
  n.cpus = 8;
  n.power_modes = {{1, "MODE_30W_ALL", 1200, 8, 30.0}, {4, "MODE_30W_2CORE", 2100, 2, 30.0}};
  auto configs = n.configurations();
  BOOST_TEST_REQUIRE(configs.size() == 2u);
  BOOST_TEST((configs[1] == ExecConfig{2, 4}));
  BOOST_TEST(n.find_mode(4)->max_mhz == 2100);
  BOOST_TEST(n.find_mode(5) == nullptr);
}

BOOST_AUTO_TEST_CASE(names_parse_and_print) {
  BOOST_TEST((parse_tier("edge") == Tier::edge));
  BOOST_TEST(!parse_tier("fog").has_value());
  BOOST_TEST((parse_arch("arm64") == Arch::arm64));
  BOOST_TEST(fmt::format("{}", ExecConfig{4, 9}) == "threads=4 mode=9");
  BOOST_TEST(fmt::format("{}", PowerMode{6, "MAXN", 2266, 8, std::nullopt}) ==
             "mode 6 (MAXN): 2266 MHz, 8 CPUs, no power cap");
  // A budget nobody stated (an imported MAXQ mode) is not "no power cap".
  BOOST_TEST(fmt::format("{}", PowerMode{1, "MAXQ", 1200, 4, std::nullopt, false}) ==
             "mode 1 (MAXQ): 1200 MHz, 4 CPUs, power budget unknown");
}

BOOST_AUTO_TEST_SUITE_END()
