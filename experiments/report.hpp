// What an experiment reports (docs/results.md is the reference for every
// field and definition):
// - per (scenario, policy) aggregates over the seeds, computed only from the
//   per-run metrics, so a reader can recompute them from summary.json;
// - summary.json: the experiment, its runs and the aggregates;
// - summary.md: a table per scenario, then SynergAI against each policy;
// - the data files the gnuplot scripts draw (experiments/*.gp).
// Numbers in summary.md are rounded for reading; summary.json keeps them whole.
#pragma once

#include "config/experiment.hpp"
#include "experiments/experiment_runner.hpp"

#include <nlohmann/json.hpp>

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace synergai::experiments {

// Over the runs (seeds) of one scenario and policy.
struct Aggregate {
  std::string scenario;
  std::string policy;
  std::size_t runs = 0;
  std::size_t jobs = 0;           // total over the runs
  std::size_t failed = 0;         // total
  std::size_t cancelled = 0;      // total
  // QoS violations per run: mean, sample sd, min, max over the runs.
  double violations_mean = 0, violations_sd = 0, violations_min = 0, violations_max = 0;
  std::size_t violations_total = 0;
  // Means over the runs of each run's mean / p99 (sd: sample sd of the runs' means).
  double waiting_mean = 0, waiting_mean_sd = 0, waiting_p99 = 0;
  double e2e_min = 0;             // smallest run minimum
  double e2e_mean = 0, e2e_mean_sd = 0, e2e_p50 = 0, e2e_p99 = 0;
  double e2e_max = 0;             // largest run maximum
  double excess_mean_all = 0, excess_mean_all_sd = 0;
  // Mean, over the runs that had at least one violation, of the run's mean
  // excess over its violating jobs; 0 when no run had one.
  double excess_mean_violating = 0;
  std::size_t runs_with_violations = 0;
  // The distribution of the violations over the runs: quartiles (linear
  // interpolation, as every percentile here) and, at index k, the share of
  // runs with at most k violations (k = 0 .. jobs of the largest run).
  double violations_q1 = 0, violations_median = 0, violations_q3 = 0;
  std::vector<double> violations_at_or_below;
  // Per run means: jobs unmeetable at submission, violations net of them,
  // cancelled (dropped) jobs.
  double unmeetable_mean = 0, violations_net_mean = 0, violations_net_sd = 0, dropped_mean = 0;
  // Against the clairvoyant optimum of the same seeds (when solved): regret =
  // violations - optimum per run, mean and sample sd; ratio = mean violations /
  // mean optimum (empty when the optimum's mean is 0).
  bool has_optimum = false;
  double regret_mean = 0, regret_sd = 0;
  std::optional<double> ratio_to_optimum;
  // Energy (config/energy.hpp, an upper bound): per run, the joules of the
  // jobs with a known power cap, mean and sample sd over the runs; the mean
  // per such job over all runs (empty when no job had a known cap); per run
  // means of the jobs with a known and with an unknown energy; totals.
  double energy_known_j_mean = 0, energy_known_j_sd = 0;
  std::optional<double> energy_per_known_job_j;
  double energy_known_jobs_mean = 0, energy_unknown_jobs_mean = 0;
  std::size_t energy_known_jobs = 0, energy_unknown_jobs = 0;
};

// The clairvoyant optimum over the seeds of one scenario.
struct OptimumAggregate {
  std::string scenario;
  std::size_t runs = 0;
  std::size_t proven = 0;        // runs whose optimum is proven
  std::size_t gap_max = 0;       // largest violations - bound over the runs not proven
  double seconds_total = 0;      // solve time over the runs
  double seconds_max = 0;
  double violations_mean = 0, violations_sd = 0, violations_min = 0, violations_max = 0;
  double violations_q1 = 0, violations_median = 0, violations_q3 = 0;
  std::vector<double> violations_at_or_below;
  double bound_mean = 0;         // mean of the lower bounds (equal to violations_mean when all are proven)
  double failing_mean = 0;       // jobs the executor fails, per run
};

// One per (scenario, policy), scenarios then policies in the experiment's
// order; with `optima` (solve_optima's, same experiment) the regret fields too.
std::vector<Aggregate> aggregate_runs(const config::Experiment& experiment, const std::vector<RunOutcome>& runs,
                                      const std::vector<OptimumOutcome>* optima = nullptr);
std::vector<OptimumAggregate> aggregate_optima(const config::Experiment& experiment,
                                               const std::vector<OptimumOutcome>& optima);

// The share of `values` at or below k, for k = 0 .. max(values).
std::vector<double> shares_at_or_below(const std::vector<double>& values);

nlohmann::json summary_json(const config::Experiment& experiment, const std::string& testbed_name,
                            const std::vector<RunOutcome>& runs, const std::vector<Aggregate>& aggregates,
                            const std::vector<OptimumOutcome>* optima = nullptr);

// SynergAI against one other policy, for one metric: per scenario the ratio
// other / SynergAI (above 1: SynergAI is better), averaged over the scenarios
// where it is defined. Both 0: ratio 1 (a tie). SynergAI 0 and the other not:
// undefined, left out of the mean and counted in `undefined`.
struct Ratio {
  std::optional<double> mean;  // empty when no scenario defines it
  int scenarios = 0;           // scenarios in the mean
  int undefined = 0;           // scenarios left out (SynergAI 0, other > 0)
};
struct PolicyRatios {
  std::string policy;
  Ratio violations, e2e_p99, excess;  // excess: mean excess over all finished jobs
};
inline constexpr const char* reference_policy = "synergai";
std::vector<PolicyRatios> ratios_to_reference(const config::Experiment& experiment,
                                              const std::vector<Aggregate>& aggregates);

std::string summary_markdown(const config::Experiment& experiment, const std::string& testbed_name,
                             const std::vector<Aggregate>& aggregates,
                             const std::vector<OptimumOutcome>* optima = nullptr);

// "SynergAI", "SynergAI-energy", "SLO-MAEL", "RR": how policies are named in
// tables and figures.
std::string policy_label(const std::string& policy);
// "#rrggbb": a fixed colour per policy, the same in every figure: SynergAI red,
// SLO-MAEL blue, the round-robin family greens, the recency family oranges, BE
// purple, SynergAI-energy cyan; others from a spare list by their index among
// the policies.
std::string policy_colour(const std::string& policy, std::size_t index);

// Files for figures/: name -> content. The data files of every figure, the
// gnuplot scripts, and `figures.gp`, which draws them all (PNG and SVG) when
// gnuplot runs it inside figures/.
std::map<std::string, std::string> figure_files(const config::Experiment& experiment,
                                                const std::vector<RunOutcome>& runs,
                                                const std::vector<Aggregate>& aggregates,
                                                const std::vector<OptimumOutcome>* optima = nullptr);

// The figures figures.gp draws, for checking that they were made.
std::vector<std::string> figure_names(const config::Experiment& experiment);

}  // namespace synergai::experiments
