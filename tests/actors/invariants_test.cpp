// Invariants on every run of the thesis scenarios, for every policy and
// several seeds, and determinism of the virtual-time runtime.
#include "actors/metrics.hpp"
#include "actors/policies/policy.hpp"
#include "actors/runtime.hpp"
#include "experiments/run_output.hpp"
#include "experiments/scenario.hpp"
#include "tests/actors/fixtures.hpp"

#include <boost/test/unit_test.hpp>

#include <map>
#include <sstream>

using namespace synergai;

namespace {

struct Thesis : test::ThesisTestbed {

  RunResult run(const std::string& scenario, const std::string& policy, std::uint64_t seed, bool trace = false) {
    auto jobs = experiments::generate_jobs(experiments::parse_scenario(scenario), testbed, dictionary, seed);
    RuntimeOptions o;
    o.policy = policy;
    o.seed = seed;
    o.trace = trace;
    return run_virtual(testbed, dictionary, std::move(jobs), o);
  }
};

std::vector<std::string> split(const std::string& line) {
  std::vector<std::string> cells;
  std::stringstream ss{line};
  for (std::string c; std::getline(ss, c, ',');) cells.push_back(c);
  if (!line.empty() && line.back() == ',') cells.emplace_back();
  return cells;
}

// Recomputes the summary's headline numbers from the CSV text alone.
void check_csv_against_summary(const std::string& csv, const nlohmann::json& summary) {
  std::stringstream in{csv};
  std::string line;
  std::getline(in, line);
  auto header = split(line);
  auto col = [&](const char* name) {
    return static_cast<std::size_t>(std::find(header.begin(), header.end(), name) - header.begin());
  };
  std::size_t violations = 0, rows = 0;
  std::vector<double> waiting, e2e, excess;
  while (std::getline(in, line)) {
    auto cells = split(line);
    ++rows;
    violations += cells[col("violated")] == "1";
    if (!cells[col("waiting_s")].empty()) waiting.push_back(std::stod(cells[col("waiting_s")]));
    if (!cells[col("e2e_s")].empty()) e2e.push_back(std::stod(cells[col("e2e_s")]));
    if (!cells[col("excess_s")].empty()) excess.push_back(std::stod(cells[col("excess_s")]));
  }
  BOOST_TEST(rows == summary["jobs"].get<std::size_t>());
  BOOST_TEST(violations == summary["violations"].get<std::size_t>());
  auto close = boost::test_tools::tolerance(1e-5);
  BOOST_TEST(stats::mean(waiting) == summary["waiting_s"]["mean"].get<double>(), close);
  BOOST_TEST(stats::max(e2e) == summary["e2e_s"]["max"].get<double>(), close);
  BOOST_TEST(stats::percentile(e2e, 99) == summary["e2e_s"]["p99"].get<double>(), close);
  BOOST_TEST(stats::mean(excess) == summary["excess_s"]["mean_all"].get<double>(), close);
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(invariants, Thesis)

BOOST_AUTO_TEST_CASE(hold_for_every_policy_scenario_and_seed) {
  for (const auto& scenario : {"DL-FL", "DL-FH", "DH-FL", "DH-FH"}) {
    for (const auto& policy : policy_names()) {
      for (std::uint64_t seed : {1, 2, 3}) {
        BOOST_TEST_CONTEXT(scenario << " " << policy << " seed " << seed) {
          auto r = run(scenario, policy, seed);
          BOOST_TEST(r.anomalies.empty());
          BOOST_TEST(r.jobs.size() == 24u);
          std::map<std::string, std::vector<const JobRecord*>> by_node;
          for (const auto& j : r.jobs) {
            BOOST_TEST(is_terminal(j.state));
            BOOST_TEST((j.state == JobState::succeeded));
            BOOST_TEST_REQUIRE(j.started_at.has_value());
            BOOST_TEST(seconds_of(*j.started_at) >= seconds_of(j.spec.submitted_at));
            BOOST_TEST(seconds_of(*j.finished_at) >= seconds_of(*j.started_at));
            by_node[j.node].push_back(&j);
          }
          // One job per worker at a time: [placed, finished] intervals never overlap.
          for (auto& [node, jobs] : by_node) {
            std::sort(jobs.begin(), jobs.end(), [](auto* a, auto* b) { return *a->placed_at < *b->placed_at; });
            for (std::size_t i = 1; i < jobs.size(); ++i)
              BOOST_TEST(seconds_of(*jobs[i]->placed_at) >= seconds_of(*jobs[i - 1]->finished_at),
                         node << ": " << jobs[i]->spec.id << " placed before " << jobs[i - 1]->spec.id << " ended");
          }
          auto metrics = compute_metrics(r.jobs);
          experiments::RunKey key{scenario, policy, seed};
          check_csv_against_summary(experiments::jobs_csv_header(false) + experiments::jobs_csv_rows(r.jobs, nullptr),
                                    experiments::run_summary(key, metrics));
        }
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(same_inputs_and_seed_give_identical_bytes) {
  for (const auto& policy : {"synergai", "slo-mael"}) {
    auto a = run("DH-FH", policy, 7, true);
    auto b = run("DH-FH", policy, 7, true);
    BOOST_TEST(experiments::jobs_csv_rows(a.jobs, nullptr) == experiments::jobs_csv_rows(b.jobs, nullptr));
    BOOST_TEST(experiments::trace_lines(a.trace) == experiments::trace_lines(b.trace));
    BOOST_TEST(a.trace.size() > 50u);
    auto c = run("DH-FH", policy, 8, true);
    BOOST_TEST(experiments::jobs_csv_rows(a.jobs, nullptr) != experiments::jobs_csv_rows(c.jobs, nullptr));
  }
}

BOOST_AUTO_TEST_CASE(with_late_drop_every_dropped_job_is_a_violation) {
  // The count is recomputed here from the records alone: a job is on time
  // only if it succeeded and finished within its QoS.
  std::size_t dropped = 0;
  for (std::uint64_t seed = 1; seed <= 5; ++seed) {
    auto jobs = experiments::generate_jobs(experiments::parse_scenario("DL-FL"), testbed, dictionary, seed);
    RuntimeOptions o;
    o.seed = seed;
    o.late_jobs = LateJobs::drop;
    auto r = run_virtual(testbed, dictionary, jobs, o);
    std::size_t late = 0, cancelled = 0;
    for (const auto& j : r.jobs) {
      bool on_time = j.state == JobState::succeeded && j.finished_at &&
                     seconds_of(*j.finished_at) - seconds_of(j.spec.submitted_at) <= j.spec.qos.count();
      late += on_time ? 0 : 1;
      cancelled += j.state == JobState::cancelled ? 1 : 0;
    }
    auto m = compute_metrics(r.jobs);
    BOOST_TEST(m.violations == late, "seed " << seed);
    BOOST_TEST(m.cancelled == cancelled, "seed " << seed);
    dropped += cancelled;
  }
  BOOST_TEST(dropped > 0u);  // the scenario does drop jobs, so the check means something
}

BOOST_AUTO_TEST_CASE(failures_are_never_lost_on_the_thesis_testbed) {
  auto jobs = experiments::generate_jobs(experiments::parse_scenario("DH-FH"), testbed, dictionary, 3);
  RuntimeOptions o;
  o.failure_probability = 0.3;
  o.seed = 3;
  auto r = run_virtual(testbed, dictionary, jobs, o);
  auto m = compute_metrics(r.jobs);
  BOOST_TEST(m.jobs == 24u);
  BOOST_TEST(m.failed > 0u);
  BOOST_TEST(m.failed + m.succeeded == 24u);
}

BOOST_AUTO_TEST_SUITE_END()
