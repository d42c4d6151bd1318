// The online phase in virtual time, on hand-computed scenarios (see
// fixtures.hpp for the numbers): exact placements, configurations and times.
#include "actors/metrics.hpp"
#include "actors/runtime.hpp"
#include "tests/actors/fixtures.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>

using namespace synergai;

namespace {

using test::find;
using test::job;

double at(const std::optional<TimePoint>& t) {
  BOOST_REQUIRE(t.has_value());
  return seconds_of(*t);
}

constexpr auto tol = 1e-6;

}  // namespace

BOOST_FIXTURE_TEST_SUITE(runtime, test::SmallTestbed)

BOOST_AUTO_TEST_CASE(fastest_acceptable_worker_in_its_best_configuration) {
  auto r = run({job("a", "e1", 400, 100, 0)});
  const auto& a = find(r, "a");
  BOOST_TEST((a.state == JobState::succeeded));
  BOOST_TEST(a.node == "fast");
  BOOST_TEST((*a.config == ExecConfig{4, std::nullopt}));
  BOOST_TEST(at(a.started_at) == 0.0, boost::test_tools::tolerance(tol));
  BOOST_TEST(at(a.finished_at) == 11.0, boost::test_tools::tolerance(tol));  // 1 + 400/40
}

BOOST_AUTO_TEST_CASE(a_busy_best_worker_sends_the_job_to_the_next_acceptable_one) {
  auto r = run({job("a", "e1", 400, 100, 0), job("b", "e1", 400, 100, 1)});
  const auto& b = find(r, "b");
  BOOST_TEST(b.node == "slow");
  BOOST_TEST((*b.config == ExecConfig{2, std::nullopt}));
  BOOST_TEST(at(b.started_at) == 1.0, boost::test_tools::tolerance(tol));
  BOOST_TEST(at(b.finished_at) == 22.0, boost::test_tools::tolerance(tol));  // 1 + 1 + 400/20
}

BOOST_AUTO_TEST_CASE(a_job_waits_for_its_acceptable_worker_rather_than_take_a_slow_free_one) {
  // a holds fast for 1 + 200/40 = 6 s. b (at 1 s, QoS 18 s) can meet its
  // deadline only on fast (11 s; slow needs 21 s): it waits while slow and
  // edge are idle, then runs on fast from 6 to 17 s and is on time.
  auto r = run({job("a", "e1", 200, 100, 0), job("b", "e1", 400, 18, 1)});
  const auto& b = find(r, "b");
  BOOST_TEST(b.node == "fast");
  BOOST_TEST(at(b.started_at) == 6.0, boost::test_tools::tolerance(tol));
  BOOST_TEST(at(b.finished_at) == 17.0, boost::test_tools::tolerance(tol));
  BOOST_TEST(!b.violated());
}

BOOST_AUTO_TEST_CASE(an_inevitably_late_job_runs_on_the_fastest_free_worker) {
  // b (QoS 20.5 s) waits for fast; when fast frees at 11 s only 10.5 s are
  // left, less than fast's 11 s: the violation is inevitable, so b takes the
  // fastest free worker at once (fast) and finishes as early as possible.
  auto r = run({job("a", "e1", 400, 100, 0), job("b", "e1", 400, 20.5, 1)});
  const auto& b = find(r, "b");
  BOOST_TEST(b.node == "fast");
  BOOST_TEST(at(b.started_at) == 11.0, boost::test_tools::tolerance(tol));
  BOOST_TEST(at(b.finished_at) == 22.0, boost::test_tools::tolerance(tol));
  BOOST_TEST(b.violated());
}

BOOST_AUTO_TEST_CASE(mode_switch_delays_the_start_by_the_latency) {
  auto r = run({job("x", "e2", 400, 100, 0)});
  const auto& x = find(r, "x");
  BOOST_TEST(x.node == "edge");
  BOOST_TEST((*x.config == ExecConfig{2, 2}));
  BOOST_TEST(at(x.placed_at) == 0.0, boost::test_tools::tolerance(tol));
  BOOST_TEST(at(x.started_at) == 2.0, boost::test_tools::tolerance(tol));
  BOOST_TEST(at(x.finished_at) == 44.0, boost::test_tools::tolerance(tol));  // 2 + 2 + 400/10
  // A second job in the same mode pays no switch.
  auto r2 = run({job("x", "e2", 400, 100, 0), job("y", "e2", 100, 100, 1)});
  BOOST_TEST(at(find(r2, "y").started_at) == 44.0, boost::test_tools::tolerance(tol));
  BOOST_TEST(at(find(r2, "y").finished_at) == 56.0, boost::test_tools::tolerance(tol));  // 2 + 100/10
}

BOOST_AUTO_TEST_CASE(a_tick_moves_a_job_that_became_inevitably_late_to_the_end) {
  // Both b and c can meet their deadlines only on fast (busy until 11 s;
  // slow needs 21 s). b has less slack, so it leads the queue; at 11 s b can
  // no longer make it (10.5 s left) while c can (11.3 s left), so c is placed
  // on fast and b, now at the end, goes to the fastest worker still free.
  auto r = run({job("a", "e1", 400, 100, 0), job("b", "e1", 400, 20.5, 1), job("c", "e1", 400, 20.8, 1.5)});
  BOOST_TEST(find(r, "c").node == "fast");
  BOOST_TEST(at(find(r, "c").started_at) == 11.0, boost::test_tools::tolerance(tol));
  BOOST_TEST(!find(r, "c").violated());
  BOOST_TEST(find(r, "b").node == "slow");  // the fastest worker still free
  BOOST_TEST(find(r, "b").violated());
  // The decision log shows the re-ordering: b first while it could make it, last after.
  std::vector<std::string> heads;
  for (const auto& e : r.trace)
    if (e.kind == "order" && e.data["queue"].size() == 2) heads.push_back(e.data["queue"][0]["job"]);
  BOOST_TEST_REQUIRE(heads.size() >= 2u);
  BOOST_TEST(heads.front() == "b");
  BOOST_TEST(heads.back() == "c");
}

BOOST_AUTO_TEST_CASE(inevitably_late_jobs_can_be_dropped) {
  RuntimeOptions o;
  o.late_jobs = LateJobs::drop;
  auto r = run({job("a", "e1", 400, 100, 0), job("b", "e1", 400, 20.5, 1)}, o);
  BOOST_TEST((find(r, "b").state == JobState::cancelled));
  BOOST_TEST(at(find(r, "b").finished_at) == 11.0, boost::test_tools::tolerance(tol));
  BOOST_TEST(find(r, "b").message.find("inevitable") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_dropped_job_is_a_violation_and_counted_as_cancelled) {
  RuntimeOptions o;
  o.late_jobs = LateJobs::drop;
  auto r = run({job("a", "e1", 400, 100, 0), job("b", "e1", 400, 20.5, 1)}, o);
  auto m = compute_metrics(r.jobs);
  BOOST_TEST(m.cancelled == 1u);
  BOOST_TEST(m.violations == 1u);  // b, dropped; a is on time
  BOOST_TEST(is_violation(find(r, "b")));
  BOOST_TEST(!is_violation(find(r, "a")));
  BOOST_TEST(m.end_to_end.max == 11.0, boost::test_tools::tolerance(tol));  // a dropped job has no e2e
}

BOOST_AUTO_TEST_CASE(jobs_below_the_fastest_estimate_are_unmeetable_at_submission) {
  // e1 with q = 400: fastest over every configuration is fast at 4 threads,
  // 1 + 400/40 = 11 s. e2 runs only on edge: mode 2, 2 + 400/10 = 42 s.
  Performance p{testbed, dictionary};
  BOOST_TEST(fastest_estimate(p, job("x", "e1", 400, 1, 0))->count() == 11.0, boost::test_tools::tolerance(tol));
  BOOST_TEST(fastest_estimate(p, job("x", "e2", 400, 1, 0))->count() == 42.0, boost::test_tools::tolerance(tol));
  BOOST_TEST(unmeetable_at_submission(p, job("x", "e1", 400, 10.9, 0)));
  BOOST_TEST(!unmeetable_at_submission(p, job("x", "e1", 400, 11.1, 0)));
  BOOST_TEST(unmeetable_at_submission(p, job("x", "e2", 400, 41, 0)));
  auto r = run({job("a", "e1", 400, 10.9, 0), job("b", "e1", 400, 100, 0), job("c", "e2", 400, 41, 0),
                job("d", "e1", 400, 11.1, 50)});
  auto m = compute_metrics(r.jobs, p);
  BOOST_TEST(m.unmeetable == 2u);       // a and c
  BOOST_TEST(m.violations == 2u);       // a and c, late whatever happens; b and d on time
  BOOST_TEST(m.violations_net == 0u);
  BOOST_TEST(compute_metrics(r.jobs).unmeetable == 0u);  // unknown without the Performance
}

BOOST_AUTO_TEST_CASE(an_unplaceable_job_does_not_block_the_ones_behind_it) {
  // b (tight: only fast acceptable, busy) leads the queue; c (e2) can only
  // run on edge, which is free: c starts at once unless blocking is asked for.
  auto r = run({job("a", "e1", 200, 100, 0), job("b", "e1", 400, 18, 1), job("c", "e2", 100, 1000, 1)});
  BOOST_TEST(at(find(r, "c").started_at) == 3.0, boost::test_tools::tolerance(tol));  // 1 + 2 s mode switch
  RuntimeOptions blocking;
  blocking.head_of_line_blocking = true;
  auto r2 = run({job("a", "e1", 200, 100, 0), job("b", "e1", 400, 18, 1), job("c", "e2", 100, 1000, 1)}, blocking);
  BOOST_TEST(at(find(r2, "c").started_at) == 8.0, boost::test_tools::tolerance(tol));  // after b is placed at 6
}

BOOST_AUTO_TEST_CASE(failed_executions_are_reported_and_never_lost) {
  RuntimeOptions o;
  o.failure_probability = 1;
  auto r = run({job("a", "e1", 400, 100, 0), job("b", "e1", 400, 100, 0), job("c", "e1", 400, 100, 0),
                job("d", "e1", 400, 100, 0)},
               o);
  BOOST_TEST_REQUIRE(r.jobs.size() == 4u);
  for (const auto& j : r.jobs) {
    BOOST_TEST((j.state == JobState::failed));
    BOOST_TEST(j.finished_at.has_value());
    BOOST_TEST(j.message == "simulated execution failure");
    BOOST_TEST(j.violated());
  }
  BOOST_TEST(compute_metrics(r.jobs).failed == 4u);
}

BOOST_AUTO_TEST_CASE(no_ticks_while_the_queue_is_empty) {
  auto r = run({job("a", "e1", 400, 100, 0), job("b", "e1", 400, 100, 500)});
  for (const auto& e : r.trace)
    if (e.kind == "tick") BOOST_TEST(false, "tick at " << seconds_of(e.at) << " with an empty queue");
  BOOST_TEST(at(find(r, "b").started_at) == 500.0, boost::test_tools::tolerance(tol));
}

BOOST_AUTO_TEST_CASE(unknown_engines_are_rejected_before_the_run) {
  BOOST_CHECK_THROW(run_virtual(testbed, dictionary, {job("a", "nope", 1, 1, 0)}, {}), InputError);
  BOOST_CHECK_THROW(run_virtual(testbed, dictionary, {job("a", "e1", 0, 1, 0)}, {}), InputError);
}

BOOST_AUTO_TEST_CASE(the_same_actors_run_in_real_time) {
  // Durations of ~100 ms: e1 at 10x its fixture rates is too slow, so use a
  // dictionary scaled for real time and a 50 ms mode switch.
  auto tb = testbed;
  tb.nodes[2].mode_switch_latency = Seconds{0.05};
  config::Dictionary d;
  d.testbed = "small";
  for (auto p : dictionary.points()) {
    p.preprocessing = Seconds{0.01};
    p.qps *= 100;
    d.add(p);
  }
  d.choose_optima(tb);
  RuntimeOptions o;
  o.noise_sigma = 0;
  o.tick = Seconds{0.02};
  auto r = run_realtime(tb, d, {job("a", "e1", 400, 10, 0), job("b", "e1", 400, 10, 0.01), job("c", "e2", 400, 10, 0.02)},
                        o, Seconds{10});
  BOOST_TEST(r.anomalies.empty());
  BOOST_TEST_REQUIRE(r.jobs.size() == 3u);
  for (const auto& j : r.jobs) BOOST_TEST((j.state == JobState::succeeded));
  const auto& c = find(r, "c");
  BOOST_TEST(c.node == "edge");
  // 50 ms switch, then 10 ms + 400 / 1000 s: at least 0.46 s after submission.
  BOOST_TEST(c.end_to_end()->count() >= 0.46);
  BOOST_TEST(c.waiting()->count() >= 0.05);
}

BOOST_AUTO_TEST_SUITE_END()
