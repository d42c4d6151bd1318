#include "support/statistics.hpp"

#include <boost/test/unit_test.hpp>

using namespace synergai;

BOOST_AUTO_TEST_SUITE(statistics)

BOOST_AUTO_TEST_CASE(percentiles_interpolate_between_ranks) {
  std::vector<double> v{4, 1, 3, 2};
  BOOST_TEST(stats::percentile(v, 0) == 1.0);
  BOOST_TEST(stats::percentile(v, 50) == 2.5);
  BOOST_TEST(stats::percentile(v, 25) == 1.75);
  BOOST_TEST(stats::percentile(v, 100) == 4.0);
  BOOST_TEST(stats::percentile({}, 50) == 0.0);
  BOOST_TEST(stats::percentile({7}, 99) == 7.0);
}

BOOST_AUTO_TEST_CASE(summary_and_spread) {
  std::vector<double> v{2, 4, 4, 4, 5, 5, 7, 9};
  auto s = stats::summarize(v);
  BOOST_TEST(s.min == 2.0);
  BOOST_TEST(s.max == 9.0);
  BOOST_TEST(s.mean == 5.0);
  BOOST_TEST(s.p50 == 4.5);
  BOOST_TEST(stats::sample_sd(v) == 2.138089935, boost::test_tools::tolerance(1e-9));
}

BOOST_AUTO_TEST_SUITE_END()
