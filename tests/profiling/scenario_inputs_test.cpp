#include "profiling/scenario_inputs.hpp"

#include <boost/test/unit_test.hpp>

using namespace synergai;

BOOST_AUTO_TEST_SUITE(scenario_inputs)

BOOST_AUTO_TEST_CASE(qos_targets_are_percentiles_of_execution_time_over_configurations) {
  config::Dictionary d;
  for (double qps : {10.0, 20.0, 40.0, 80.0, 160.0})
    d.add(ProfilePoint{"e", "n", ExecConfig{static_cast<int>(qps), std::nullopt}, qps, Seconds{5}, Seconds{1}, 1, "t"});
  d.add(ProfilePoint{"other", "n", ExecConfig{1, std::nullopt}, 1.0, Seconds{5}, Seconds{1}, 1, "t"});
  // times for q=800: 80, 40, 20, 10, 5 -> median 20, p25 10
  auto t = profiling::qos_targets(d, "e", 800);
  BOOST_TEST(t.low_intensity.count() == 20.0);
  BOOST_TEST(t.high_intensity.count() == 10.0);
  BOOST_TEST(profiling::qos_targets(d, "e", 400).low_intensity.count() == 10.0);  // scales with q
  BOOST_CHECK_THROW(profiling::qos_targets(d, "missing", 1), InputError);
}

BOOST_AUTO_TEST_CASE(interarrival_times_pool_every_engine_configuration_and_query_count) {
  config::Dictionary d;
  d.add(ProfilePoint{"a", "n", ExecConfig{1, std::nullopt}, 1.0, Seconds{0}, Seconds{1}, 1, "t"});
  d.add(ProfilePoint{"b", "n", ExecConfig{1, std::nullopt}, 2.0, Seconds{0}, Seconds{1}, 1, "t"});
  auto a = profiling::mean_interarrival_times(d, {10, 20});  // times 10, 20, 5, 10
  BOOST_TEST(a.low_frequency.count() == 10.0);
  BOOST_TEST(a.high_frequency.count() == 8.75);
}

BOOST_AUTO_TEST_SUITE_END()
