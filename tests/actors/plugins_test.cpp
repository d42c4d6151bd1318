// Each stock plugin (actors/policies/plugins.hpp) on hand-made snapshots of
// the small testbed, without an actor system. For q = 400 of e1 the c*
// estimates are fast 11 s, slow 21 s, edge 41 s (tests/actors/fixtures.hpp).
#include "actors/policies/plugins.hpp"
#include "tests/actors/plugins_fixtures.hpp"

#include <boost/test/unit_test.hpp>

using namespace synergai;
using namespace synergai::framework;
using test::queued;
using test::worker;

BOOST_FIXTURE_TEST_SUITE(plugins, test::HandMadeSnapshots)

BOOST_AUTO_TEST_CASE(urgency_order_puts_the_least_slack_first_and_inevitably_late_jobs_last_oldest_first) {
  UrgencyOrder order;
  auto tight = queued("tight", 400, 12, 1);   // slack 1 s
  auto loose = queued("loose", 400, 100, 0);  // slack 89 s
  auto late_old = queued("late-old", 400, 5, 2);
  auto late_new = queued("late-new", 400, 1, 3);
  BOOST_TEST(order.less(tight, loose));
  BOOST_TEST(!order.less(loose, tight));
  BOOST_TEST(order.less(loose, late_old));       // any on-time job before a late one
  BOOST_TEST(order.less(late_old, late_new));    // late ones oldest first, whatever their slack
  BOOST_TEST(!order.less(late_new, late_old));
}

BOOST_AUTO_TEST_CASE(deadline_order_puts_the_sooner_deadline_first_even_with_more_slack) {
  DeadlineOrder order;
  auto soon_short = queued("soon", 40, 20, 1);     // deadline in 20 s, best 2 s: slack 18 s
  auto later_long = queued("later", 400, 25, 0);   // deadline in 25 s, best 11 s: slack 14 s
  BOOST_TEST(order.less(soon_short, later_long));
  BOOST_TEST(UrgencyOrder{}.less(later_long, soon_short));  // least slack would say the opposite
  BOOST_TEST(order.less(later_long, queued("late", 400, 5, 2)));
}

BOOST_AUTO_TEST_CASE(arrival_order_is_by_sequence_whatever_the_slack) {
  ArrivalOrder order;
  BOOST_TEST(order.less(queued("old", 400, 1000, 1), queued("new", 400, 12, 2)));
  BOOST_TEST(!order.less(queued("new", 400, 12, 2), queued("old", 400, 1000, 1)));
}

BOOST_AUTO_TEST_CASE(optimal_and_baseline_configurations_differ_where_the_testbed_says_so) {
  auto s = snapshot({}, {worker("fast"), worker("slow"), worker("edge")});
  auto round = round_of(s);
  auto job = queued("j", 400, 100, 0);
  auto opt = OptimalConfig{}.on(job, s.workers[2], round);
  BOOST_REQUIRE(opt);
  BOOST_TEST(opt->node == "edge");
  BOOST_TEST(opt->estimate.count() == 41.0);
  auto base = BaselineConfig{}.on(job, s.workers[1], round);
  BOOST_REQUIRE(base);
  BOOST_TEST(base->config.threads == 2);
  BOOST_TEST(base->estimate.count() == 21.0);
  // e2 was only profiled on edge: no configuration on fast.
  BOOST_TEST(!OptimalConfig{}.on(queued("k", 400, 100, 1, "e2"), s.workers[0], round));
}

BOOST_AUTO_TEST_CASE(meets_deadline_compares_the_estimate_with_the_time_remaining) {
  auto s = snapshot({}, {worker("fast")});
  auto round = round_of(s);
  MeetsDeadline f;
  Candidate c{"fast", ExecConfig{4, std::nullopt}, Seconds{11}};
  BOOST_TEST(f.admits(queued("j", 400, 11, 0), s.workers[0], c, round));  // exactly in time
  BOOST_TEST(!f.admits(queued("j", 400, 10.9, 0), s.workers[0], c, round));
}

BOOST_AUTO_TEST_CASE(free_now_refuses_busy_workers_and_those_the_plan_gave_away) {
  auto s = snapshot({}, {worker("fast"), worker("slow", false)});
  auto round = round_of(s);
  FreeNow f;
  auto job = queued("j", 400, 100, 0);
  Candidate c{};
  BOOST_TEST(f.admits(job, s.workers[0], c, round));
  BOOST_TEST(!f.admits(job, s.workers[1], c, round));
  round.taken.insert("fast");
  BOOST_TEST(!f.admits(job, s.workers[0], c, round));
}

BOOST_AUTO_TEST_CASE(wait_for_faster_passes_up_a_slow_free_worker_only_for_a_much_sooner_finish_in_time) {
  // fast runs another job until 5 s from now; e1 x 400 takes 11 s on fast
  // (done in 16 s) and 41 s on edge.
  auto busy_fast = worker("fast", false);
  busy_fast.busy_since = at_seconds(-6);
  busy_fast.busy_estimate = Seconds{11};
  auto s = snapshot({}, {busy_fast, worker("slow"), worker("edge")});
  auto round = round_of(s);
  BOOST_TEST(expected_free_in(s.workers[0], s.now) == 5.0);
  BOOST_TEST(expected_free_in(s.workers[1], s.now) == 0.0);
  const Candidate slow{"slow", {}, Seconds{21}}, edge{"edge", {}, Seconds{41}}, fast{"fast", {}, Seconds{11}};
  WaitForFaster wait{0.5};
  auto job = queued("j", 400, 60, 0);
  BOOST_TEST(!wait.admits(job, s.workers[2], edge, round));  // 16 s < 0.5 x 41 s: wait for fast
  BOOST_TEST(wait.admits(job, s.workers[1], slow, round));   // 16 s is not < 0.5 x 21 s
  BOOST_TEST(wait.admits(job, s.workers[0], fast, round));   // the busy worker itself always passes
  auto tight = queued("tight", 400, 15, 1);                  // fast would end at 16 s: too late
  BOOST_TEST(wait.admits(tight, s.workers[2], edge, round));
  auto late = queued("late", 400, 5, 2);
  BOOST_TEST(wait.admits(late, s.workers[2], edge, round));
}

BOOST_AUTO_TEST_CASE(bound_worker_binds_arrivals_round_the_cycle_skipping_workers_without_the_engine) {
  auto s = snapshot({}, {worker("fast"), worker("slow"), worker("edge")});
  auto round = round_of(s);
  BoundWorker f{performance};
  auto a = queued("a", 400, 100, 0), b = queued("b", 400, 100, 1), e2 = queued("c", 400, 100, 2, "e2");
  auto d = queued("d", 400, 100, 3);
  for (const auto* j : {&a, &b, &e2, &d}) f.on_arrival(*j, s);
  Candidate c{};
  BOOST_TEST(f.admits(a, s.workers[0], c, round));
  BOOST_TEST(!f.admits(a, s.workers[1], c, round));
  BOOST_TEST(f.admits(b, s.workers[1], c, round));
  BOOST_TEST(f.admits(e2, s.workers[2], c, round));  // e2 runs on edge only, next in the cycle anyway
  BOOST_TEST(f.admits(d, s.workers[0], c, round));   // the cycle wraps round
  BOOST_TEST(!f.admits(queued("never-arrived", 400, 100, 9), s.workers[0], c, round));
}

BOOST_AUTO_TEST_CASE(fastest_and_strongest_rank_by_estimate_and_by_baseline_qps) {
  auto s = snapshot({}, {worker("fast"), worker("slow"), worker("edge")});
  auto round = round_of(s);
  auto job = queued("j", 400, 100, 0);
  Fastest fastest;
  BOOST_TEST(fastest.score(job, s.workers[0], Candidate{"fast", {}, Seconds{11}}, round) <
             fastest.score(job, s.workers[1], Candidate{"slow", {}, Seconds{21}}, round));
  Strongest strongest;
  Candidate c{};
  // Baseline QPS over the engines: fast 40, slow 20, edge (10 + 10) / 2.
  BOOST_TEST(strongest.score(job, s.workers[0], c, round) < strongest.score(job, s.workers[1], c, round));
  BOOST_TEST(strongest.score(job, s.workers[1], c, round) < strongest.score(job, s.workers[2], c, round));
}

BOOST_AUTO_TEST_CASE(best_fit_takes_the_slowest_worker_in_time_and_the_fastest_when_none_is) {
  auto s = snapshot({}, {worker("fast"), worker("slow"), worker("edge")});
  auto round = round_of(s);
  BestFit fit;
  const Candidate fast{"fast", {}, Seconds{11}}, slow{"slow", {}, Seconds{21}}, edge{"edge", {}, Seconds{41}};
  auto roomy = queued("roomy", 400, 30, 0);  // fast and slow meet it, edge does not
  BOOST_TEST(fit.score(roomy, s.workers[1], slow, round) < fit.score(roomy, s.workers[0], fast, round));
  BOOST_TEST(fit.score(roomy, s.workers[0], fast, round) < fit.score(roomy, s.workers[2], edge, round));
  auto late = queued("late", 400, 5, 1);
  BOOST_TEST(fit.score(late, s.workers[0], fast, round) < fit.score(late, s.workers[1], slow, round));
}

BOOST_AUTO_TEST_CASE(a_late_job_goes_slow_only_when_arrivals_are_expected_during_its_fastest_run) {
  auto s = snapshot({}, {worker("fast"), worker("slow")});
  auto round = round_of(s);
  const Candidate fast{"fast", {}, Seconds{11}}, slow{"slow", {}, Seconds{21}};
  auto late = queued("late", 400, 5, 0);   // fastest run 11 s
  auto in_time = queued("ok", 400, 30, 1);
  auto arrive_at = [](LateJobLookahead& p, std::vector<double> instants) {
    for (double t : instants) p.on_arrival(queued("x", 40, 100, 0), Snapshot{at_seconds(t), {}, {}, {}});
  };
  LateJobLookahead rare;  // one arrival per 100 s: 0.11 expected during 11 s
  arrive_at(rare, {0, 100, 200});
  BOOST_TEST(rare.arrival_rate() == 0.01, boost::test_tools::tolerance(1e-9));
  BOOST_TEST(rare.score(late, s.workers[0], fast, round) < rare.score(late, s.workers[1], slow, round));
  LateJobLookahead busy;  // one per 10 s: 1.1 expected
  arrive_at(busy, {0, 10, 20});
  BOOST_TEST(busy.score(late, s.workers[1], slow, round) < busy.score(late, s.workers[0], fast, round));
  // Jobs that meet their deadline are left to the next score.
  BOOST_TEST(busy.score(in_time, s.workers[0], fast, round) == 0);
  BOOST_TEST(busy.score(in_time, s.workers[1], slow, round) == 0);
}

BOOST_AUTO_TEST_CASE(recency_ranks_the_same_history_in_opposite_orders) {
  auto s = snapshot({}, {worker("fast", true, 5.0), worker("slow", true, 9.0), worker("edge")});
  auto round = round_of(s);
  auto job = queued("j", 400, 100, 0);
  Candidate c{};
  Recency lru{false}, mru{true};
  auto rank = [&](const Recency& r) {
    std::vector<std::pair<double, std::string>> order;
    for (const auto& w : s.workers) order.emplace_back(r.score(job, w, c, round), w.node);
    std::stable_sort(order.begin(), order.end(), [](auto& a, auto& b) { return a.first < b.first; });
    std::vector<std::string> nodes;
    for (auto& [_, n] : order) nodes.push_back(n);
    return nodes;
  };
  BOOST_TEST(rank(lru) == (std::vector<std::string>{"edge", "fast", "slow"}), boost::test_tools::per_element());
  BOOST_TEST(rank(mru) == (std::vector<std::string>{"slow", "fast", "edge"}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(the_cycle_starts_after_the_last_worker_given_a_job) {
  auto s = snapshot({}, {worker("fast"), worker("slow"), worker("edge")});
  auto round = round_of(s);
  auto job = queued("j", 400, 100, 0);
  CycleFromCursor cycle{performance};
  Candidate c{};
  BOOST_TEST(cycle.score(job, s.workers[0], c, round) < cycle.score(job, s.workers[1], c, round));
  cycle.on_assigned(job, Candidate{"slow", {}, {}});
  BOOST_TEST(cycle.score(job, s.workers[2], c, round) == 0);  // edge is next after slow
  BOOST_TEST(cycle.score(job, s.workers[0], c, round) == 1);
  BOOST_TEST(cycle.score(job, s.workers[1], c, round) == 2);
}

BOOST_AUTO_TEST_SUITE_END()
