// The scheduling framework (actors/policies/framework.hpp): how a composition
// walks the queue, that the registered policies are compositions, and that
// SynergAI's composition is exactly the rule the urgency actor applies.
#include "actors/policies/plugins.hpp"
#include "tests/actors/plugins_fixtures.hpp"

#include <boost/test/unit_test.hpp>

#include <random>

using namespace synergai;
using namespace synergai::framework;
using test::nodes_of;
using test::queued;
using test::worker;

namespace {

using Lines = std::vector<std::string>;

// A plugin written where it is used, as a researcher would: fewest queries first.
class FewestQueries final : public QueueOrder {
 public:
  bool less(const QueuedJob& a, const QueuedJob& b) const override { return a.spec.queries < b.spec.queries; }
};

// Refuses one worker by name.
class NotOn final : public Filter {
 public:
  explicit NotOn(std::string node) : node_{std::move(node)} {}
  bool admits(const QueuedJob&, const WorkerView& w, const Candidate&, const Round&) const override {
    return w.node != node_;
  }

 private:
  std::string node_;
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(framework_compositions, test::HandMadeSnapshots)

BOOST_AUTO_TEST_CASE(offer_all_lists_every_admitted_worker_by_score) {
  auto policy = compose<ArrivalOrder, OptimalConfig>(context());
  policy->score(std::make_unique<Fastest>());
  auto s = snapshot({queued("a", 400, 100, 0)}, {worker("edge"), worker("slow", false), worker("fast")});
  // Busy workers are offered too: the urgency actor skips them when it asks.
  BOOST_TEST(nodes_of(policy->plan(s)) == (Lines{"a: fast slow edge"}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_preference_that_nobody_meets_is_dropped_a_requirement_is_not) {
  auto s = snapshot({queued("late", 400, 5, 0), queued("ok", 400, 25, 1)},
                    {worker("fast"), worker("slow"), worker("edge")});
  auto preferring = compose<ArrivalOrder, OptimalConfig>(context());
  preferring->prefer(std::make_unique<MeetsDeadline>()).score(std::make_unique<Fastest>());
  BOOST_TEST(nodes_of(preferring->plan(s)) == (Lines{"late: fast slow edge", "ok: fast slow"}),
             boost::test_tools::per_element());
  auto requiring = compose<ArrivalOrder, OptimalConfig>(context());
  requiring->require(std::make_unique<MeetsDeadline>()).score(std::make_unique<Fastest>());
  // Offered to nobody, "late" keeps its place (a head-of-line-blocking run stops there).
  BOOST_TEST(nodes_of(requiring->plan(s)) == (Lines{"late:", "ok: fast slow"}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(one_worker_gives_each_job_its_best_worker_once) {
  auto policy = compose<ArrivalOrder, OptimalConfig>(context());
  policy->require(std::make_unique<FreeNow>()).score(std::make_unique<Fastest>()).assignment(Assignment::one_worker);
  auto s = snapshot({queued("a", 400, 100, 0), queued("b", 400, 100, 1), queued("c", 400, 100, 2),
                     queued("d", 400, 100, 3)},
                    {worker("fast"), worker("slow"), worker("edge", false)});
  BOOST_TEST(nodes_of(policy->plan(s)) == (Lines{"a: fast", "b: slow"}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(no_fit_stop_holds_every_later_job_but_an_unrunnable_job_holds_nobody) {
  auto s = snapshot({queued("e2-job", 400, 100, 0, "e2"), queued("a", 400, 100, 1), queued("b", 400, 100, 2)},
                    {worker("fast"), worker("slow")});  // e2 runs on edge only, absent here
  auto waiting = compose<ArrivalOrder, OptimalConfig>(context());
  waiting->require(std::make_unique<NotOn>("fast")).require(std::make_unique<FreeNow>())
      .assignment(Assignment::one_worker);
  BOOST_TEST(nodes_of(waiting->plan(s)) == (Lines{"a: slow"}), boost::test_tools::per_element());
  // A strict line: e2-job, which nothing here can run, holds nobody; a takes fast; b, refused slow,
  // finds nothing else free and stops the line.
  auto strict = compose<ArrivalOrder, OptimalConfig>(context());
  strict->require(std::make_unique<NotOn>("slow")).require(std::make_unique<FreeNow>())
      .assignment(Assignment::one_worker).no_fit(NoFit::stop);
  BOOST_TEST(nodes_of(strict->plan(s)) == (Lines{"a: fast"}), boost::test_tools::per_element());
  auto s2 = snapshot({queued("a", 400, 100, 1), queued("b", 400, 100, 2)}, {worker("fast", false), worker("slow")});
  auto strict2 = compose<ArrivalOrder, OptimalConfig>(context());
  strict2->require(std::make_unique<NotOn>("slow")).require(std::make_unique<FreeNow>())
      .assignment(Assignment::one_worker).no_fit(NoFit::stop);
  BOOST_TEST(strict2->plan(s2).empty());  // a waits for fast, and b behind it, though slow is free
}

BOOST_AUTO_TEST_CASE(a_new_queue_order_is_one_class) {
  auto policy = compose<FewestQueries, OptimalConfig>(context());
  policy->score(std::make_unique<Fastest>()).require(std::make_unique<FreeNow>()).assignment(Assignment::one_worker);
  auto s = snapshot({queued("big", 800, 1000, 0), queued("small", 40, 1000, 1)}, {worker("fast"), worker("slow")});
  BOOST_TEST(nodes_of(policy->plan(s)) == (Lines{"small: fast", "big: slow"}), boost::test_tools::per_element());
}

// The exceptions plan from the whole queue at once (docs/policies.md says why).
BOOST_AUTO_TEST_CASE(every_policy_is_a_composition_but_the_documented_exceptions) {
  const std::set<std::string> exceptions{"slo-mael", "synergai-energy"};
  for (const auto& name : policy_names()) {
    auto policy = make_policy(name, context());
    const bool composed = dynamic_cast<Composition*>(policy.get()) != nullptr;
    BOOST_TEST(composed == (exceptions.count(name) == 0), name);
  }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(framework_synergai, test::ThesisTestbed)

// Eq. 6.3 and 6.4 written out once more, independently of the plugins: the
// workers whose c* meets the deadline, fastest first (ties: testbed order), or
// every worker when none does.
BOOST_AUTO_TEST_CASE(synergai_composed_plans_as_eq_6_3_and_6_4_on_random_snapshots) {
  auto performance = std::make_shared<Performance>(testbed, dictionary);
  auto policy = make_policy("synergai", PolicyContext{performance, {}});
  BOOST_TEST((policy->mode() == PlanMode::deadline_fit));
  std::mt19937_64 rng{7};
  std::vector<std::string> engines;
  for (const auto& e : testbed.engines) engines.push_back(e.id);
  std::size_t fallbacks = 0, items = 0;
  for (int round = 0; round < 200; ++round) {
    Snapshot s;
    for (const auto& n : testbed.nodes) s.workers.push_back(test::worker(n.name, rng() % 2 == 0));
    for (std::uint64_t i = 0; i < 6; ++i) {
      QueuedJob j;
      j.spec = JobSpec{"j" + std::to_string(i), engines[rng() % engines.size()], static_cast<int>(100 + rng() % 4000),
                       Seconds{600}, at_seconds(0)};
      j.sequence = i;
      j.remaining = Seconds{static_cast<double>(rng() % 700)};
      auto all = performance->optimal_candidates(j.spec.engine, j.spec.queries);
      j.best_estimate = all.empty() ? Seconds{1e9} : all.front().estimate;
      j.inevitably_late = j.remaining < j.best_estimate;
      s.queue.push_back(j);
    }
    std::stable_sort(s.queue.begin(), s.queue.end(), more_urgent);
    Plan expected;
    for (const auto& j : s.queue) {
      auto all = performance->optimal_candidates(j.spec.engine, j.spec.queries);
      std::vector<Candidate> acceptable;
      for (const auto& c : all)
        if (c.estimate <= j.remaining) acceptable.push_back(c);
      fallbacks += acceptable.empty();
      expected.push_back(PlanItem{j.spec.id, acceptable.empty() ? all : acceptable});
    }
    auto plan = policy->plan(s);
    BOOST_REQUIRE_EQUAL(plan.size(), expected.size());
    for (std::size_t i = 0; i < plan.size(); ++i) {
      ++items;
      BOOST_TEST(plan[i].job_id == expected[i].job_id);
      BOOST_REQUIRE_EQUAL(plan[i].candidates.size(), expected[i].candidates.size());
      for (std::size_t k = 0; k < plan[i].candidates.size(); ++k) {
        BOOST_TEST(plan[i].candidates[k].node == expected[i].candidates[k].node);
        BOOST_TEST((plan[i].candidates[k].config == expected[i].candidates[k].config));
      }
    }
  }
  // Both branches of the rule were exercised.
  BOOST_TEST(fallbacks > 0u);
  BOOST_TEST(fallbacks < items);
}

BOOST_AUTO_TEST_SUITE_END()
