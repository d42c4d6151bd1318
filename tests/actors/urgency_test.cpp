// The urgency actor's incremental path for a deadline_fit policy (SynergAI)
// against the reference: the same policy planned from full snapshots every
// round. Both must make exactly the same decisions — same node, configuration
// and instants for every job — on the thesis testbed and on replicated
// testbeds (many workers per node class), under load, with late jobs run or
// dropped, and with head-of-line blocking.
#include "actors/runtime.hpp"
#include "actors/scheduler.hpp"
#include "experiments/run_output.hpp"
#include "experiments/scenario.hpp"
#include "experiments/scheduler_bench.hpp"
#include "tests/actors/fixtures.hpp"
#include "tests/support.hpp"

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <map>
#include <mutex>
#include <thread>

using namespace synergai;

namespace {

// jobs.csv rows of both paths.
std::pair<std::string, std::string> both(const config::Testbed& testbed, const config::Dictionary& dictionary,
                                         const std::vector<JobSpec>& jobs, RuntimeOptions o) {
  o.plan_by_snapshot = false;
  auto fast = run_virtual(testbed, dictionary, jobs, o);
  o.plan_by_snapshot = true;
  auto reference = run_virtual(testbed, dictionary, jobs, o);
  BOOST_TEST(fast.anomalies.empty());
  BOOST_TEST(reference.anomalies.empty());
  return {experiments::jobs_csv_rows(fast.jobs, nullptr), experiments::jobs_csv_rows(reference.jobs, nullptr)};
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(urgency_deadline_fit, test::ThesisTestbed)

BOOST_AUTO_TEST_CASE(decides_as_the_snapshot_plan_on_the_thesis_scenarios) {
  for (const char* scenario : {"DL-FL", "DL-FH", "DH-FL", "DH-FH"})
    for (std::uint64_t seed = 1; seed <= 4; ++seed)
      for (auto late : {LateJobs::run, LateJobs::drop}) {
        auto jobs = experiments::generate_jobs(experiments::parse_scenario(scenario), testbed, dictionary, seed);
        RuntimeOptions o;
        o.seed = seed;
        o.late_jobs = late;
        auto [fast, reference] = both(testbed, dictionary, jobs, o);
        BOOST_TEST(fast == reference, scenario << " seed " << seed << (late == LateJobs::drop ? " drop" : " run"));
      }
}

// SLO-MAEL keeps its own queues (PlanMode::mapped): the workers and the jobs
// that left the queue are all it gets, and it decides as with the whole queue.
BOOST_AUTO_TEST_CASE(slo_mael_decides_from_the_workers_alone_as_from_full_snapshots) {
  for (const char* scenario : {"DL-FL", "DH-FH"})
    for (std::uint64_t seed = 1; seed <= 3; ++seed) {
      auto jobs = experiments::generate_jobs(experiments::parse_scenario(scenario), testbed, dictionary, seed);
      RuntimeOptions o;
      o.policy = "slo-mael";
      o.seed = seed;
      auto [mapped, reference] = both(testbed, dictionary, jobs, o);
      BOOST_TEST(mapped == reference, scenario << " seed " << seed);
    }
}

BOOST_AUTO_TEST_CASE(decides_as_the_snapshot_plan_with_many_workers_per_class) {
  for (int workers : {7, 30})
    for (double load : {0.8, 3.0})
      for (bool blocking : {false, true}) {
        experiments::ScaleSpec spec{workers, 400, "synergai", load, static_cast<std::uint64_t>(workers)};
        auto in = experiments::scale_inputs(testbed, dictionary, spec);
        RuntimeOptions o;
        o.seed = spec.seed;
        o.head_of_line_blocking = blocking;
        auto [fast, reference] = both(in.testbed, in.dictionary, in.jobs, o);
        BOOST_TEST(fast == reference, workers << " workers, load " << load << (blocking ? ", blocking" : ""));
      }
}

BOOST_AUTO_TEST_CASE(replicas_of_a_node_form_one_class) {
  auto in = experiments::scale_inputs(testbed, dictionary, experiments::ScaleSpec{30, 10, "synergai", 2, 1});
  Performance p{in.testbed, in.dictionary};
  BOOST_TEST(p.class_count() == testbed.nodes.size());
  BOOST_TEST(p.class_nodes(p.class_of(0)).size() == 30u / testbed.nodes.size());
  // A class's c* is each member's, as the dictionary has it.
  auto e = *p.engine_index(testbed.engines[0].id);
  for (std::size_t n = 0; n < in.testbed.nodes.size(); ++n) {
    const auto* point = in.dictionary.optimum(testbed.engines[0].id, in.testbed.nodes[n].name);
    const auto* o = p.optimum(e, p.class_of(n));
    BOOST_TEST_REQUIRE((point != nullptr) == (o != nullptr));
    if (o) BOOST_TEST((o->config == point->config && o->qps == point->qps));
  }
}

BOOST_AUTO_TEST_CASE(a_resumed_job_whose_node_is_taken_waits_for_it) {
  // After a restart two replayed jobs can claim one node (a transition lost
  // in the crash); with the Kubernetes executor the second one's Job is on
  // that node too. It must wait for the node, not run a second time elsewhere.
  std::mutex mutex;
  std::map<std::string, JobRecord> records;
  SchedulerOptions options;
  options.speedup = 200;
  Scheduler scheduler{testbed, dictionary, options, {}, [&](const JobRecord& r) {
                        std::lock_guard lock{mutex};
                        records[r.spec.id] = r;
                      }};
  Performance performance{testbed, dictionary};
  const auto& engine = testbed.engines[0].id;
  auto on_agx = performance.optimal(engine, "agx", 200);
  BOOST_TEST_REQUIRE(on_agx.has_value());
  auto now = scheduler.now();
  scheduler.resume(JobSpec{"first", engine, 200, Seconds{3600}, now}, "agx", on_agx->config);
  scheduler.resume(JobSpec{"second", engine, 200, Seconds{3600}, now}, "agx", on_agx->config);
  auto done = [&] {
    std::lock_guard lock{mutex};
    return records.size() == 2 && is_terminal(records["first"].state) && is_terminal(records["second"].state);
  };
  test::eventually(done, std::chrono::seconds{30}, "both jobs to end");
  scheduler.stop();
  BOOST_TEST_REQUIRE(done());
  BOOST_TEST(records["first"].node == "agx");
  BOOST_TEST(records["second"].node == "agx");  // before: queued again, and run on x86
  BOOST_TEST(seconds_of(*records["second"].placed_at) >= seconds_of(*records["first"].finished_at));
}

BOOST_AUTO_TEST_SUITE_END()
