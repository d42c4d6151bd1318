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

BOOST_AUTO_TEST_CASE(readings_default_to_the_original_behaviour_and_are_checked) {
  auto dir = synergai::test::source_path("tests/data/valid");
  auto base = synergai::test::read_text(dir / "experiment.yaml");
  auto x = read_experiment(parse_yaml(base, "experiment.yaml"), dir, {"synergai", "rr"});
  BOOST_TEST(x.late == "run");
  BOOST_TEST(x.interarrival == "inference");
  BOOST_TEST(x.srr_queue == "per-worker");
  BOOST_TEST(x.baseline_config == "testbed");
  BOOST_TEST(!x.optimum);
  BOOST_TEST(x.energy_margin == 0.8);
  auto y = read_experiment(parse_yaml(base + "late: drop\ninterarrival: total\nsrr_queue: global\n"
                                             "baseline_config: default-mode\noptimum: true\noptimum_time_limit_s: 5\n"
                                             "energy_margin: 1\n",
                                      "experiment.yaml"),
                           dir, {"synergai", "rr"});
  BOOST_TEST(y.late == "drop");
  BOOST_TEST(y.interarrival == "total");
  BOOST_TEST(y.srr_queue == "global");
  BOOST_TEST(y.baseline_config == "default-mode");
  BOOST_TEST(y.optimum);
  BOOST_TEST(y.optimum_time_limit_s == 5.0);
  BOOST_TEST(y.energy_margin == 1.0);
  for (const char* bad : {"late: later\n", "interarrival: both\n", "srr_queue: shared\n", "baseline_config: fastest\n",
                          "optimum_time_limit_s: 0\n", "energy_margin: 0\n", "energy_margin: 1.2\n"}) {
    try {
      read_experiment(parse_yaml(base + bad, "experiment.yaml"), dir, {"synergai", "rr"});
      BOOST_ERROR("accepted " << bad);
    } catch (const ValidationError& e) {
      std::string field{bad};
      field = field.substr(0, field.find(':'));
      BOOST_TEST(std::string{e.what()}.find(field) != std::string::npos, e.what());
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
