// Each comparison policy on a hand-computed scenario whose placements differ
// from the other policies' (fixture numbers in fixtures.hpp; baselines run
// fast at 4 threads, slow at 2, edge in mode 2). Times are exact: no noise.
#include "actors/policies/policy.hpp"
#include "actors/runtime.hpp"
#include "tests/actors/fixtures.hpp"

#include <boost/test/unit_test.hpp>

using namespace synergai;

namespace {

using test::find;
using test::job;

double started(const RunResult& r, const std::string& id) { return seconds_of(*find(r, id).started_at); }

constexpr auto tol = 1e-6;

// a holds fast (0-11 s), b slow (0.1-2.1 s), c edge; d arrives at 0.3 s.
std::vector<JobSpec> cycle_jobs() {
  return {job("a", "e1", 400, 1000, 0), job("b", "e1", 20, 1000, 0.1), job("c", "e1", 400, 1000, 0.2),
          job("d", "e1", 40, 1000, 0.3)};
}

// a (fast, 0-2 s) and b (slow, 0.05-3.05 s) make a history; x arrives at 100 s
// when every worker is free: edge never ran, slow ran last, fast is strongest.
std::vector<JobSpec> history_jobs() {
  return {job("a", "e1", 40, 1000, 0), job("b", "e1", 40, 1000, 0.05), job("x", "e1", 40, 1000, 100)};
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(policies, test::SmallTestbed)

BOOST_AUTO_TEST_CASE(the_seven_thesis_policies_and_the_new_ones_are_registered) {
  BOOST_TEST(policy_names() == (std::set<std::string>{"synergai", "rr", "srr", "lru", "mru", "be", "slo-mael",
                                                       "synergai-energy", "synergai-plus"}),
             boost::test_tools::per_element());
  BOOST_CHECK_THROW(make_policy("fifo", PolicyContext{}), InputError);
}

BOOST_AUTO_TEST_CASE(srr_leaves_an_idle_worker_idle_while_its_job_waits) {
  auto r = run("srr", cycle_jobs());
  BOOST_TEST(find(r, "d").node == "fast");  // bound to fast, the cycle's next after edge
  BOOST_TEST(started(r, "d") == 11.0, boost::test_tools::tolerance(tol));  // though slow idles from 2.1 s
  BOOST_TEST(find(r, "c").node == "edge");
}

BOOST_AUTO_TEST_CASE(srr_with_one_global_queue_holds_every_later_job_behind_a_waiting_one) {
  // e arrives at 0.4 s and is bound to slow, free from 2.1 s. With a queue per
  // worker (the default) it starts then; with one strict FCFS queue it waits
  // behind d, which waits for fast until 11 s.
  auto jobs = cycle_jobs();
  jobs.push_back(job("e", "e1", 40, 1000, 0.4));
  auto per_worker = run("srr", jobs);
  BOOST_TEST(find(per_worker, "e").node == "slow");
  BOOST_TEST(started(per_worker, "e") == 2.1, boost::test_tools::tolerance(tol));
  RuntimeOptions o;
  o.policy = "srr";
  o.policy_options.srr_global_queue = true;
  auto global = run(jobs, o);
  BOOST_TEST(find(global, "e").node == "slow");
  BOOST_TEST(started(global, "d") == 11.0, boost::test_tools::tolerance(tol));
  BOOST_TEST(started(global, "e") == 11.0, boost::test_tools::tolerance(tol));
}

BOOST_AUTO_TEST_CASE(rr_skips_a_busy_worker) {
  auto r = run("rr", cycle_jobs());
  BOOST_TEST(find(r, "d").node == "slow");  // fast, next in the cycle, is busy: skipped
  BOOST_TEST(started(r, "d") == 2.1, boost::test_tools::tolerance(tol));
  BOOST_TEST((find(r, "d").config->threads == 2));  // the baseline configuration, not slow's c*
}

BOOST_AUTO_TEST_CASE(lru_and_mru_pick_opposite_workers_from_the_same_history) {
  auto lru = run("lru", history_jobs());
  auto mru = run("mru", history_jobs());
  BOOST_TEST(find(lru, "a").node == "fast");
  BOOST_TEST(find(lru, "b").node == "slow");
  BOOST_TEST(find(lru, "x").node == "edge");  // never used: idle the longest
  BOOST_TEST(find(mru, "x").node == "slow");  // finished most recently
}

BOOST_AUTO_TEST_CASE(be_picks_the_strongest_free_worker) {
  auto r = run("be", history_jobs());
  BOOST_TEST(find(r, "x").node == "fast");  // strongest: mean baseline QPS 40 vs 20 and 10
  BOOST_TEST(find(r, "b").node == "slow");  // fast busy: the next strongest
  auto d = run("be", cycle_jobs());
  BOOST_TEST(find(d, "d").node == "slow");  // first to free among fast, slow
}

BOOST_AUTO_TEST_CASE(slo_mael_takes_a_slower_worker_when_the_fastest_ones_backlog_breaks_the_qos) {
  // At 1 s fast has 10 s of a left: b would complete in 10 + 6 = 16 s > 15 s;
  // slow completes it in 11 s.
  auto r = run("slo-mael", {job("a", "e1", 400, 1000, 0), job("b", "e1", 200, 15, 1)});
  BOOST_TEST(find(r, "b").node == "slow");
  BOOST_TEST(started(r, "b") == 1.0, boost::test_tools::tolerance(tol));
}

BOOST_AUTO_TEST_CASE(slo_mael_never_remaps_a_job_once_mapped) {
  // At 1.5 s, b's expected completion is 9.5 + 11 = 20.5 s on fast and 21 s
  // on slow: mapped to fast, it waits there although slow stays idle.
  auto r = run("slo-mael", {job("a", "e1", 400, 1000, 0), job("b", "e1", 400, 1000, 1.5)});
  BOOST_TEST(find(r, "b").node == "fast");
  BOOST_TEST(started(r, "b") == 11.0, boost::test_tools::tolerance(tol));
  auto s = run("synergai", {job("a", "e1", 400, 1000, 0), job("b", "e1", 400, 1000, 1.5)});
  BOOST_TEST(find(s, "b").node == "slow");  // SynergAI takes the free acceptable worker
}

BOOST_AUTO_TEST_CASE(synergai_plus_waits_for_the_fast_worker_where_synergai_takes_the_slow_free_one) {
  // a holds fast (0-11 s), c holds slow (0.1-21.1 s); b arrives at 8 s with
  // 60 s to go: edge (41 s, plus its 2 s mode switch) would meet it, fast frees
  // in 3 s and finishes it 11 s later.
  std::vector<JobSpec> jobs{job("a", "e1", 400, 1000, 0), job("c", "e1", 400, 1000, 0.1), job("b", "e1", 400, 60, 8)};
  auto faithful = run("synergai", jobs);
  BOOST_TEST(find(faithful, "b").node == "edge");
  BOOST_TEST(started(faithful, "b") == 10.0, boost::test_tools::tolerance(tol));  // placed at 8 s, then the switch
  auto plus = run("synergai-plus", jobs);
  BOOST_TEST(find(plus, "b").node == "fast");
  BOOST_TEST(started(plus, "b") == 11.0, boost::test_tools::tolerance(tol));
  BOOST_TEST(seconds_of(*find(plus, "b").finished_at) < seconds_of(*find(faithful, "b").finished_at));
}

BOOST_AUTO_TEST_CASE(baselines_need_baseline_configurations) {
  auto tb = testbed;
  tb.nodes[1].baseline_config.reset();
  BOOST_CHECK_EXCEPTION(run_virtual(tb, dictionary, {job("a", "e1", 1, 10, 0)}, RuntimeOptions{"rr"}), InputError,
                        [](const InputError& e) { return std::string{e.what()}.find("node slow") != std::string::npos; });
}

BOOST_AUTO_TEST_SUITE_END()
