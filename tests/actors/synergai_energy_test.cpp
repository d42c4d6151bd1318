// synergai-energy (actors/policies/synergai_energy.cpp) on hand-made
// snapshots of the small testbed (tests/actors/fixtures.hpp): fast and slow
// have no power modes (energy unknown), edge has mode 1 at 10 W and mode 2 at
// 20 W. For e1 at 400 queries: fast 4 threads 11 s, 1 thread 41 s; slow 2
// threads 21 s, 1 thread 41 s; edge mode 1 81 s (810 J), mode 2 41 s (820 J).
#include "actors/metrics.hpp"
#include "actors/policies/policy.hpp"
#include "actors/runtime.hpp"
#include "config/energy.hpp"
#include "support/errors.hpp"
#include "tests/actors/fixtures.hpp"

#include <boost/test/unit_test.hpp>

using namespace synergai;

namespace {

QueuedJob queued(const std::string& id, const std::string& engine, int queries, double remaining,
                 std::uint64_t sequence = 1) {
  QueuedJob j;
  j.spec = test::job(id, engine, queries, 1000, 0);
  j.sequence = sequence;
  j.remaining = Seconds{remaining};
  return j;
}

Snapshot snapshot(std::vector<QueuedJob> queue, std::set<std::string> busy = {}) {
  Snapshot s;
  s.queue = std::move(queue);
  for (const char* node : {"fast", "slow", "edge"}) {
    WorkerView w;
    w.node = node;
    w.available = !busy.contains(node);
    s.workers.push_back(w);
  }
  return s;
}

// "node:threads[:mode]" for each candidate, in order.
std::vector<std::string> offered(const PlanItem& item) {
  std::vector<std::string> out;
  for (const auto& c : item.candidates)
    out.push_back(c.node + ":" + std::to_string(c.config.threads) +
                  (c.config.mode ? ":" + std::to_string(*c.config.mode) : ""));
  return out;
}

using Names = std::vector<std::string>;

struct EnergyFixture : test::SmallTestbed {
  std::shared_ptr<const Performance> performance = std::make_shared<const Performance>(testbed, dictionary);
  std::unique_ptr<Policy> policy(const std::string& name, double margin = 0.8) {
    PolicyContext c{performance, {}};
    c.options.energy_deadline_margin = margin;
    return make_policy(name, c);
  }
  Plan plan(const Snapshot& s, double margin = 0.8) { return policy("synergai-energy", margin)->plan(s); }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(synergai_energy, EnergyFixture)

BOOST_AUTO_TEST_CASE(with_time_to_spare_a_job_goes_to_the_lowest_known_energy_configuration) {
  // 1000 s remain: every configuration fits in 800 s. edge mode 1 (810 J) beats
  // mode 2 (820 J); fast and slow have no known energy: after it, fastest first,
  // each in its fastest configuration.
  auto p = plan(snapshot({queued("a", "e1", 400, 1000)}));
  BOOST_REQUIRE(p.size() == 1u);
  BOOST_TEST(offered(p[0]) == (Names{"edge:2:1", "fast:4", "slow:2"}), boost::test_tools::per_element());
  BOOST_TEST(p[0].candidates[0].estimate.count() == 81.0, boost::test_tools::tolerance(1e-9));
}

BOOST_AUTO_TEST_CASE(the_margin_decides_which_configurations_are_fast_enough) {
  // 60 s remain, 48 s with the margin: mode 1 (81 s) does not fit, mode 2 (41 s) does.
  BOOST_TEST(offered(plan(snapshot({queued("a", "e1", 400, 60)}))[0]) == (Names{"edge:2:2", "fast:4", "slow:2"}),
             boost::test_tools::per_element());
  // 45 s remain: 36 s with the default margin leaves edge out (41 s); a margin of 1 lets it in.
  BOOST_TEST(offered(plan(snapshot({queued("a", "e1", 400, 45)}))[0]) == (Names{"fast:4", "slow:2"}),
             boost::test_tools::per_element());
  BOOST_TEST(offered(plan(snapshot({queued("a", "e1", 400, 45)}), 1.0)[0]) == (Names{"edge:2:2", "fast:4", "slow:2"}),
             boost::test_tools::per_element());
  // 25 s remain (20 s with the margin): only fast fits; SynergAI would also offer slow (21 s <= 25 s).
  BOOST_TEST(offered(plan(snapshot({queued("a", "e1", 400, 25)}))[0]) == (Names{"fast:4"}),
             boost::test_tools::per_element());
  BOOST_TEST(offered(policy("synergai")->plan(snapshot({queued("a", "e1", 400, 25)}))[0]) == (Names{"fast:4", "slow:2"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(without_a_fitting_configuration_it_plans_exactly_as_synergai) {
  auto synergai = policy("synergai");
  auto energy = policy("synergai-energy");
  for (double remaining : {12.0, 21.5, 5.0, -3.0}) {
    for (const auto& busy : {std::set<std::string>{}, std::set<std::string>{"fast"}}) {
      // 12 s: only fast's 11 s meets the deadline, nothing fits in 9.6 s; with fast
      // busy the job waits for it. 21.5 s: nothing fits in 17.2 s with fast busy.
      // 5 s and -3 s: inevitably late, every worker in c*.
      if (remaining == 21.5 && busy.empty()) continue;  // fast's 11 s fits 17.2 s
      auto s = snapshot({queued("a", "e1", 400, remaining)}, busy);
      BOOST_TEST_CONTEXT("remaining " << remaining << " busy " << busy.size()) {
        BOOST_TEST(offered(energy->plan(s)[0]) == offered(synergai->plan(s)[0]), boost::test_tools::per_element());
      }
    }
  }
  BOOST_TEST(offered(energy->plan(snapshot({queued("a", "e1", 400, 5)}))[0]) == (Names{"fast:4", "slow:2", "edge:2:2"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_worker_an_earlier_job_of_the_plan_will_get_is_not_offered_again) {
  // Both have time to spare: a (more urgent) takes edge in mode 1; b is offered
  // the two others. c can only run on edge (e2): edge is taken, and no other
  // worker can run it, so it falls back to SynergAI's c* on edge and waits.
  auto p = plan(snapshot({queued("a", "e1", 400, 1000, 1), queued("b", "e1", 400, 1000, 2),
                          queued("c", "e2", 400, 1000, 3)}));
  BOOST_REQUIRE(p.size() == 3u);
  BOOST_TEST(offered(p[0]) == (Names{"edge:2:1", "fast:4", "slow:2"}), boost::test_tools::per_element());
  BOOST_TEST(offered(p[1]) == (Names{"fast:4", "slow:2"}), boost::test_tools::per_element());
  BOOST_TEST(offered(p[2]) == (Names{"edge:2:2"}), boost::test_tools::per_element());
  // Busy workers are never offered for energy.
  auto busy = plan(snapshot({queued("a", "e1", 400, 1000)}, {"edge", "fast"}));
  BOOST_TEST(offered(busy[0]) == (Names{"slow:2"}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_margin_outside_zero_to_one_is_refused) {
  BOOST_CHECK_THROW(policy("synergai-energy", 0), InputError);
  BOOST_CHECK_THROW(policy("synergai-energy", 1.5), InputError);
  BOOST_CHECK_THROW(policy("synergai-energy", -0.2), InputError);
  BOOST_CHECK_NO_THROW(policy("synergai-energy", 1.0));
}

BOOST_AUTO_TEST_CASE(in_a_run_it_spends_less_known_energy_than_synergai_and_stays_on_time) {
  // Two jobs with time to spare. SynergAI runs both on fast (energy unknown);
  // synergai-energy runs a on edge in mode 1 (edge starts there: no switch,
  // 81 s x 10 W = 810 J) and b, arriving while edge is busy, on fast.
  std::vector<JobSpec> jobs{test::job("a", "e1", 400, 1000, 0), test::job("b", "e1", 400, 1000, 1)};
  auto energy = run("synergai-energy", jobs);
  const auto& a = test::find(energy, "a");
  BOOST_TEST(a.node == "edge");
  BOOST_TEST((*a.config == ExecConfig{2, 1}));
  BOOST_TEST(test::find(energy, "b").node == "fast");
  auto e = job_energy(testbed, a);
  BOOST_TEST(*e.joules == 810.0, boost::test_tools::tolerance(1e-6));
  auto total = run_energy(testbed, energy.jobs);
  BOOST_TEST(total.jobs_known == 1u);
  BOOST_TEST(total.jobs_unknown == 1u);
  BOOST_TEST(compute_metrics(energy.jobs).violations == 0u);

  auto synergai = run("synergai", jobs);
  BOOST_TEST(test::find(synergai, "a").node == "fast");
  BOOST_TEST(run_energy(testbed, synergai.jobs).jobs_known == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
