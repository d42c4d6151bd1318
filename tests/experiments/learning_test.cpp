// Profiles that learn online, end to end on the thesis testbed: one node 40%
// slower than its profile costs SynergAI deadlines, and learning from the
// runs' observed times wins part of them back (docs/results.md, "A node
// slower than its profile").
#include "experiments/experiment_runner.hpp"
#include "experiments/report.hpp"

#include "executors/simulated/simulated_executor.hpp"
#include "support/errors.hpp"
#include "tests/support.hpp"

#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>

#include <map>

using namespace synergai;

namespace {

struct Thesis {
  config::Testbed testbed = config::load_testbed(test::source_path("config/testbeds/thesis.yaml"));
  config::Dictionary dictionary = config::load_dictionary(test::source_path("config/dictionaries/thesis.json"), &testbed);
};

config::Experiment drift(bool slowed, bool learning) {
  config::Experiment x;
  x.name = "drift";
  x.scenarios = config::scenario_names;
  x.policies = {"synergai"};
  x.seeds = 30;
  x.jobs = 24;
  x.noise_sigma = 0.05;
  x.tick = Seconds{1};
  x.learning = learning;
  if (slowed) x.slowdown = {{"x86", 1.4}};
  return x;
}

// Violations per scenario, summed over the seeds.
std::map<std::string, std::size_t> violations(const Thesis& t, const config::Experiment& x) {
  std::map<std::string, std::size_t> out;
  for (const auto& run : experiments::run_experiment(x, t.testbed, t.dictionary, {}))
    out[run.key.scenario] += run.metrics.violations;
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(learning)

BOOST_AUTO_TEST_CASE(a_slowdown_scales_the_true_time_of_its_node_only) {
  Thesis t;
  const Performance p{t.testbed, t.dictionary};
  SimulationConfig plain;
  plain.noise_sigma = 0.05;
  auto slowed = plain;
  slowed.slowdown = {{"x86", 1.4}};
  JobSpec job;
  job.id = "j001";
  job.engine = "tf-resnet50";
  job.queries = 975;
  for (const auto& node : t.testbed.nodes) {
    const RunRequest r{job, node.name, p.optimal(job.engine, node.name, job.queries)->config};
    const double factor = node.name == "x86" ? 1.4 : 1.0;
    BOOST_TEST(simulated_duration(p, slowed, r)->count() == factor * simulated_duration(p, plain, r)->count(),
               boost::test_tools::tolerance(1e-12));
  }
  auto bad = drift(true, false);
  bad.slowdown = {{"x68", 1.4}};
  BOOST_CHECK_THROW(experiments::experiment_jobs(bad, t.testbed, t.dictionary), InputError);
}

// Sums over 30 seeds per scenario: with a node 40% slower than profiled,
// learning on misses fewer deadlines than learning off in every scenario, and
// the slowdown does cost deadlines against the accurate profile.
BOOST_AUTO_TEST_CASE(learning_wins_back_deadlines_a_slow_node_costs) {
  Thesis t;
  const auto accurate = violations(t, drift(false, false));
  const auto off = violations(t, drift(true, false));
  const auto on = violations(t, drift(true, true));
  std::size_t sum_accurate = 0, sum_off = 0, sum_on = 0;
  for (const auto& scenario : config::scenario_names) {
    BOOST_TEST_MESSAGE(scenario << ": accurate " << accurate.at(scenario) << ", slowed " << off.at(scenario)
                                << ", slowed and learning " << on.at(scenario));
    BOOST_TEST(accurate.at(scenario) < off.at(scenario), scenario);
    BOOST_TEST(on.at(scenario) < off.at(scenario), scenario);
    sum_accurate += accurate.at(scenario);
    sum_off += off.at(scenario);
    sum_on += on.at(scenario);
  }
  BOOST_TEST(sum_on < sum_off);
  BOOST_TEST(sum_accurate < sum_on);
}

// With learning on and nothing drifting, the estimates learn noise only: the
// decisions may move a little, but the outcome stays at the accurate level.
BOOST_AUTO_TEST_CASE(learning_without_drift_keeps_the_accurate_outcome) {
  Thesis t;
  const auto accurate = violations(t, drift(false, false));
  const auto learning = violations(t, drift(false, true));
  std::size_t a = 0, l = 0;
  for (const auto& scenario : config::scenario_names) {
    a += accurate.at(scenario);
    l += learning.at(scenario);
  }
  BOOST_TEST_MESSAGE("accurate " << a << ", learning " << l);
  BOOST_TEST(static_cast<double>(l) <= 1.03 * static_cast<double>(a));
}

// A results folder says that its runs had a slowdown and learned, and only then.
BOOST_AUTO_TEST_CASE(the_summary_names_the_slowdown_and_the_learning_only_when_used) {
  Thesis t;
  auto x = drift(true, true);
  x.seeds = 1;
  x.scenarios = {"DL-FL"};
  const auto runs = experiments::run_experiment(x, t.testbed, t.dictionary, {});
  const auto aggregates = experiments::aggregate_runs(x, runs);
  const auto json = experiments::summary_json(x, "thesis", runs, aggregates);
  BOOST_TEST(json.at("settings").at("slowdown").at("x86") == 1.4);
  BOOST_TEST(json.at("settings").at("learning").at("alpha") == 0.3);
  const auto md = experiments::summary_markdown(x, "thesis", aggregates);
  BOOST_TEST(md.find("x86 × 1.4") != std::string::npos, md.substr(0, 600));
  BOOST_TEST(md.find("Learned profiles on") != std::string::npos);
  const auto plain = drift(false, false);
  const auto plain_json = experiments::summary_json(plain, "thesis", runs, aggregates);
  BOOST_TEST(!plain_json.at("settings").contains("slowdown"));
  BOOST_TEST(!plain_json.at("settings").contains("learning"));
  BOOST_TEST(experiments::summary_markdown(plain, "thesis", aggregates).find("Learned profiles") == std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
