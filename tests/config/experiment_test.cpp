#include "config/experiment.hpp"

#include "tests/support.hpp"

#include <boost/test/unit_test.hpp>

using namespace synergai::config;

BOOST_AUTO_TEST_SUITE(experiment)

BOOST_AUTO_TEST_CASE(paths_resolve_against_the_files_folder) {
  auto x = load_experiment(synergai::test::source_path("tests/data/valid/experiment.yaml"), {"synergai", "rr"});
  BOOST_TEST(x.name == "tiny-check");
  BOOST_TEST(x.testbed.filename() == "tiny.yaml");
  BOOST_TEST(std::filesystem::exists(x.testbed));
  BOOST_TEST(x.scenarios == (std::vector<std::string>{"DL-FL", "DH-FH"}), boost::test_tools::per_element());
  BOOST_TEST(x.seeds == 3);
  BOOST_TEST(x.tick.count() == 1.0);
  BOOST_TEST(x.failure_probability == 0.0);
}

BOOST_AUTO_TEST_CASE(policies_are_checked_against_the_names_given) {
  BOOST_CHECK_THROW(load_experiment(synergai::test::source_path("tests/data/valid/experiment.yaml"), {"synergai"}),
                    ValidationError);
}

BOOST_AUTO_TEST_SUITE_END()
