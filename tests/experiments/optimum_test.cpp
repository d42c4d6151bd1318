// The clairvoyant optimum: against exhaustive search on small hand-made
// cases (two workers, one with power modes and a switch latency), against the
// runtime's drawn execution times and failures, and below every policy on the
// thesis scenarios.
#include "actors/metrics.hpp"
#include "actors/policies/policy.hpp"
#include "actors/runtime.hpp"
#include "experiments/optimum.hpp"
#include "experiments/scenario.hpp"
#include "support/random.hpp"
#include "tests/actors/fixtures.hpp"
#include "tests/support.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <numeric>

using namespace synergai;
using namespace synergai::experiments;

namespace {

// Two workers: `cpu` (threads 1 | 2, no modes) and `edge` (modes 1-3, default
// 1, a 2 s switch; mode 3 has two thread counts, so the fastest-per-mode
// reduction is exercised). e1 runs everywhere, e2 only on edge.
config::Testbed two_workers() {
  return config::read_testbed(config::parse_yaml(R"(testbed: two
nodes:
  - {name: cpu, kubernetes_node: cpu-1, arch: amd64, tier: cloud, cpus: 2, memory_gib: 4, thread_options: [1, 2], baseline_config: {threads: 2}}
  - name: edge
    kubernetes_node: edge-1
    arch: arm64
    tier: edge
    cpus: 2
    memory_gib: 4
    power_modes:
      - {id: 1, name: SLOW, max_mhz: 1000, online_cpus: 2, budget_w: 10}
      - {id: 2, name: MID, max_mhz: 1500, online_cpus: 2, budget_w: 15}
      - {id: 3, name: FAST, max_mhz: 2000, online_cpus: 2, budget_w: 20}
    default_mode: 1
    mode_switch_latency_s: 2
    baseline_config: {threads: 2, mode: 3}
engines:
  - {id: e1, task: classification, backend: onnxruntime, model: m1, dataset: d, accuracy: 70, accuracy_metric: top1, thread_knob: k, container: {image: i}}
  - {id: e2, task: classification, backend: onnxruntime, model: m2, dataset: d, accuracy: 70, accuracy_metric: top1, thread_knob: k, container: {image: i}}
)",
                                                 "two.yaml"));
}

config::Dictionary two_worker_dictionary(const config::Testbed& tb) {
  config::Dictionary d;
  d.testbed = "two";
  auto add = [&](const char* engine, const char* node, ExecConfig c, double qps, double pre) {
    d.add(ProfilePoint{engine, node, c, qps, Seconds{pre}, Seconds{1000 / qps}, 1000, "fixture"});
  };
  add("e1", "cpu", {1, std::nullopt}, 10, 1);
  add("e1", "cpu", {2, std::nullopt}, 16, 1);
  add("e1", "edge", {2, 1}, 8, 1);
  add("e1", "edge", {2, 2}, 12, 1);
  add("e1", "edge", {1, 3}, 14, 1);
  add("e1", "edge", {2, 3}, 20, 1);
  add("e2", "edge", {2, 1}, 10, 0.5);
  add("e2", "edge", {2, 2}, 15, 0.5);
  add("e2", "edge", {2, 3}, 25, 0.5);
  d.choose_optima(tb);
  return d;
}

JobSpec job(std::string id, std::string engine, int q, double qos, double at) {
  return JobSpec{std::move(id), std::move(engine), q, Seconds{qos}, at_seconds(at)};
}

// The fewest violations by brute force, written independently of the MILP:
// every job on every node in every profiled configuration (all thread
// counts), every order on each node, each sequence replayed as the worker
// runs it. Late jobs stay in the sequences: every schedule is tried.
std::size_t exhaustive_violations(const config::Testbed& tb, const config::Dictionary& d,
                                  const std::vector<JobSpec>& jobs, const DrawnTimes& drawn) {
  const std::size_t n = jobs.size();
  // best[node][subset]: most on-time jobs of `subset` run on that node.
  std::vector<std::vector<std::size_t>> best(tb.nodes.size(), std::vector<std::size_t>(1u << n, 0));
  for (std::size_t w = 0; w < tb.nodes.size(); ++w) {
    const auto& node = tb.nodes[w];
    // Every configuration of each job on this node with its drawn time.
    std::vector<std::vector<std::pair<ExecConfig, double>>> configs(n);
    for (std::size_t j = 0; j < n; ++j)
      for (const auto* p : d.points_for(jobs[j].engine, node.name))
        configs[j].emplace_back(p->config,
                                drawn_execution_time(tb, d, drawn, jobs[j], node.name, p->config)->count());
    for (unsigned subset = 1; subset < (1u << n); ++subset) {
      std::vector<std::size_t> members;
      bool runnable = true;
      for (std::size_t j = 0; j < n; ++j)
        if (subset & (1u << j)) {
          members.push_back(j);
          runnable = runnable && !configs[j].empty();
        }
      if (!runnable) {
        best[w][subset] = 0;  // marks nothing; such subsets are skipped below
        continue;
      }
      std::size_t most = 0;
      std::sort(members.begin(), members.end());
      do {
        std::vector<std::size_t> choice(members.size(), 0);
        for (;;) {
          double free_at = 0;
          std::optional<int> mode = node.default_mode;
          std::size_t on_time = 0;
          for (std::size_t i = 0; i < members.size(); ++i) {
            const auto& spec = jobs[members[i]];
            const auto& [config, duration] = configs[members[i]][choice[i]];
            double start = std::max(free_at, seconds_of(spec.submitted_at));
            double finish = start + duration;
            if (config.mode && config.mode != mode) finish += node.mode_switch_latency.count();
            if (config.mode) mode = config.mode;
            free_at = finish;
            if (finish - seconds_of(spec.submitted_at) <= spec.qos.count()) ++on_time;
          }
          most = std::max(most, on_time);
          std::size_t i = 0;
          while (i < members.size() && ++choice[i] == configs[members[i]].size()) choice[i++] = 0;
          if (i == members.size()) break;
        }
      } while (std::next_permutation(members.begin(), members.end()));
      best[w][subset] = most;
    }
  }
  // Split the jobs between the two nodes (a job no node can run is late).
  auto runnable_on = [&](std::size_t w, unsigned subset) {
    for (std::size_t j = 0; j < n; ++j)
      if ((subset & (1u << j)) && d.points_for(jobs[j].engine, tb.nodes[w].name).empty()) return false;
    return true;
  };
  std::size_t most = 0;
  const unsigned all = (1u << n) - 1;
  for (unsigned first = 0; first <= all; ++first) {
    unsigned second = all & ~first;
    if (!runnable_on(0, first) || !runnable_on(1, second)) continue;
    most = std::max(most, best[0][first] + best[1][second]);
  }
  return n - most;
}

struct TwoWorkers {
  config::Testbed testbed = two_workers();
  config::Dictionary dictionary = two_worker_dictionary(testbed);
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(optimum, TwoWorkers)

BOOST_AUTO_TEST_CASE(a_slower_mode_that_avoids_a_switch_is_part_of_the_optimum) {
  // On edge, e2 with q = 100 takes 10.5 s in mode 1 (the default), 7.17 s in
  // mode 2 and 4.5 s in mode 3, plus 2 s for each switch: whether a job stays
  // in the current mode or pays for a faster one depends on its neighbours.
  // The exhaustive search and the MILP must agree.
  std::vector<JobSpec> jobs{job("a", "e2", 100, 11, 0), job("b", "e2", 100, 10.5, 10), job("c", "e1", 100, 12, 0),
                            job("d", "e2", 50, 6.5, 3), job("e", "e1", 200, 20, 4), job("f", "e2", 100, 9, 12)};
  DrawnTimes drawn{1, 0, 0};
  auto r = clairvoyant_optimum(testbed, dictionary, jobs, drawn);
  BOOST_TEST(r.proven);
  BOOST_TEST(r.violations == exhaustive_violations(testbed, dictionary, jobs, drawn));
}

BOOST_AUTO_TEST_CASE(a_hand_computed_case_needs_the_mode_switch_charged) {
  // One e2 job on edge, QoS 6.4: mode 3 takes 0.5 + 100/25 = 4.5 s plus the
  // 2 s switch from mode 1 = 6.5 s: late; mode 1 takes 10.5 s: late. Without
  // the switch it would be on time. e1 (q = 50) on cpu in 2 threads takes
  // 1 + 50/16 = 4.125 s against a QoS of 5: on time.
  std::vector<JobSpec> jobs{job("a", "e2", 100, 6.4, 0), job("b", "e1", 50, 5, 0)};
  auto r = clairvoyant_optimum(testbed, dictionary, jobs, DrawnTimes{1, 0, 0});
  BOOST_TEST(r.proven);
  BOOST_TEST(r.violations == 1u);
  BOOST_TEST_REQUIRE(r.on_time.size() == 1u);
  BOOST_TEST(r.on_time[0].id == "b");
  BOOST_TEST(r.on_time[0].node == "cpu");
  BOOST_TEST(r.on_time[0].config.threads == 2);
  BOOST_TEST(r.on_time[0].finish_s == 4.125, boost::test_tools::tolerance(1e-9));
  // A QoS of 6.6 leaves room for the switch: both on time.
  jobs[0].qos = Seconds{6.6};
  auto r2 = clairvoyant_optimum(testbed, dictionary, jobs, DrawnTimes{1, 0, 0});
  BOOST_TEST(r2.violations == 0u);
}

BOOST_AUTO_TEST_CASE(equals_exhaustive_search_on_random_small_cases) {
  Random rng{derive_seed(42, "optimum-cases")};
  for (int c = 0; c < 16; ++c) {
    std::vector<JobSpec> jobs;
    const std::size_t n = c < 8 ? 5 : 6;
    for (std::size_t i = 0; i < n; ++i) {
      const char* engine = rng.uniform() < 0.5 ? "e1" : "e2";
      int q = std::array{50, 100, 200}[rng.below(3)];
      jobs.push_back(job(fmt::format("j{}", i), engine, q, 3 + 14 * rng.uniform(), 12 * rng.uniform()));
    }
    std::sort(jobs.begin(), jobs.end(), [](const auto& a, const auto& b) { return a.submitted_at < b.submitted_at; });
    DrawnTimes drawn{static_cast<std::uint64_t>(c + 1), 0.1, 0};
    auto r = clairvoyant_optimum(testbed, dictionary, jobs, drawn);
    BOOST_TEST_CONTEXT("case " << c) {
      BOOST_TEST_MESSAGE("case " << c << ": " << r.violations << " of " << n << " violations");
      BOOST_TEST(r.proven);
      BOOST_TEST(r.violations == exhaustive_violations(testbed, dictionary, jobs, drawn));
    }
  }
}

BOOST_AUTO_TEST_CASE(the_model_runs_late_jobs_last_so_it_never_uses_one_to_switch_a_mode_early) {
  // The assumption of the model, pinned down (docs/results.md): b (e2, edge
  // only, from 30 s, QoS 5 s) is on time only in mode 3 without a switch
  // (4.5 s; with the switch from the default mode 1 it takes 6.5 s). c cannot
  // be on time (QoS 1 s), but run first in mode 3 it would leave edge in mode
  // 3 for b. The model leaves late jobs out: 2 violations; the schedule with
  // c as that carrier has 1, and the exhaustive search finds it.
  std::vector<JobSpec> jobs{job("c", "e2", 100, 1, 0), job("b", "e2", 100, 5, 30)};
  DrawnTimes drawn{1, 0, 0};
  auto r = clairvoyant_optimum(testbed, dictionary, jobs, drawn);
  BOOST_TEST(r.proven);
  BOOST_TEST(r.violations == 2u);
  std::vector<std::pair<std::string, std::vector<SequencedJob>>> carrier{
      {"edge", {SequencedJob{0, ExecConfig{2, 3}, 4.5}, SequencedJob{1, ExecConfig{2, 3}, 4.5}}}};
  BOOST_TEST(on_time_jobs(testbed, jobs, carrier) == 1u);
  BOOST_TEST(exhaustive_violations(testbed, dictionary, jobs, drawn) == 1u);
}

BOOST_AUTO_TEST_CASE(failing_jobs_are_violations_wherever_they_run) {
  std::vector<JobSpec> jobs{job("a", "e1", 50, 100, 0), job("b", "e1", 50, 100, 0), job("c", "e2", 50, 100, 0)};
  auto r = clairvoyant_optimum(testbed, dictionary, jobs, DrawnTimes{1, 0, 1});
  BOOST_TEST(r.failing == 3u);
  BOOST_TEST(r.violations == 3u);
  BOOST_TEST(r.proven);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(optimum_on_the_thesis_testbed, test::ThesisTestbed)

BOOST_AUTO_TEST_CASE(the_runtime_runs_jobs_for_exactly_the_drawn_times_and_fails_the_drawn_jobs) {
  for (const auto& policy : {"synergai", "rr", "slo-mael"}) {
    auto jobs = generate_jobs(parse_scenario("DH-FH"), testbed, dictionary, 5);
    RuntimeOptions o;
    o.policy = policy;
    o.seed = 5;
    o.noise_sigma = 0.05;
    o.failure_probability = 0.2;
    auto r = run_virtual(testbed, dictionary, jobs, o);
    DrawnTimes drawn{5, 0.05, 0.2};
    std::size_t checked = 0;
    for (const auto& j : r.jobs) {
      BOOST_TEST_CONTEXT(policy << " " << j.spec.id) {
        BOOST_TEST((j.state == JobState::failed) == drawn_failure(drawn, j.spec));
        if (j.state != JobState::succeeded) continue;
        auto expected = drawn_execution_time(testbed, dictionary, drawn, j.spec, j.node, *j.config);
        BOOST_TEST_REQUIRE(expected.has_value());
        BOOST_TEST(seconds_of(*j.finished_at) - seconds_of(*j.started_at) == expected->count(),
                   boost::test_tools::tolerance(1e-6));
        ++checked;
      }
    }
    BOOST_TEST(checked > 10u);
  }
}

BOOST_AUTO_TEST_CASE(no_policy_beats_the_optimum_and_its_schedule_is_feasible) {
  for (std::uint64_t seed : {1, 2}) {
    auto jobs = generate_jobs(parse_scenario("DL-FL"), testbed, dictionary, seed);
    auto opt = clairvoyant_optimum(testbed, dictionary, jobs, DrawnTimes{seed, 0.05, 0}, OptimumOptions{10, {}});
    BOOST_TEST_CONTEXT("seed " << seed) {
      BOOST_TEST(opt.violations_bound <= opt.violations);
      for (const auto& policy : policy_names()) {
        RuntimeOptions o;
        o.policy = policy;
        o.seed = seed;
        auto r = run_virtual(testbed, dictionary, jobs, o);
        BOOST_TEST(compute_metrics(r.jobs).violations >= opt.violations_bound, policy);
      }
      // The schedule: one job at a time per worker, never before its arrival, each on time.
      std::map<std::string, double> free_at;
      for (const auto& s : opt.on_time) {
        const auto& spec = *std::find_if(jobs.begin(), jobs.end(), [&](const JobSpec& j) { return j.id == s.id; });
        BOOST_TEST(s.start_s >= seconds_of(spec.submitted_at));
        BOOST_TEST(s.start_s >= free_at[s.node]);
        BOOST_TEST(s.finish_s - seconds_of(spec.submitted_at) <= spec.qos.count());
        free_at[s.node] = s.finish_s;
      }
      BOOST_TEST(opt.on_time.size() == jobs.size() - opt.violations);
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
