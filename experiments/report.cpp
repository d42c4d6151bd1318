#include "experiments/report.hpp"

#include "experiments/plot_scripts.hpp"
#include "support/statistics.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>

namespace synergai::experiments {
namespace {

constexpr const char* versus_policy = "slo-mael";

constexpr const char* energy_model_text =
    "per job: the power cap of the configuration it ran in (W) x its execution time, start to finish (s) = J, an "
    "upper bound; a job in a configuration without a known cap (a node without power modes, MAXN, a cap nobody "
    "stated) has an unknown energy: counted apart, never as 0, and left out of the joules";

const Aggregate* find(const std::vector<Aggregate>& aggregates, const std::string& scenario,
                      const std::string& policy) {
  for (const auto& a : aggregates)
    if (a.scenario == scenario && a.policy == policy) return &a;
  return nullptr;
}

bool has_policy(const config::Experiment& x, const std::string& policy) {
  return std::find(x.policies.begin(), x.policies.end(), policy) != x.policies.end();
}

}  // namespace

std::string policy_colour(const std::string& policy, std::size_t index) {
  static const std::map<std::string, std::string> fixed{
      {"synergai", "#d62728"}, {"slo-mael", "#1f77b4"}, {"rr", "#2ca02c"}, {"srr", "#98df8a"},
      {"lru", "#ff7f0e"},      {"mru", "#ffbb78"},      {"be", "#9467bd"},
      {"synergai-energy", "#17becf"}};
  static const std::array<const char*, 6> spare{"#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf", "#c49c94"};
  auto it = fixed.find(policy);
  return it != fixed.end() ? it->second : spare[index % spare.size()];
}

namespace {

Ratio ratio_over_scenarios(const config::Experiment& x, const std::vector<Aggregate>& aggregates,
                           const std::string& policy, double Aggregate::*metric) {
  Ratio r;
  std::vector<double> values;
  for (const auto& s : x.scenarios) {
    const auto* ref = find(aggregates, s, reference_policy);
    const auto* other = find(aggregates, s, policy);
    if (!ref || !other) continue;
    double a = ref->*metric, b = other->*metric;
    if (a > 0) {
      values.push_back(b / a);
    } else if (b == 0) {
      values.push_back(1.0);
    } else {
      ++r.undefined;
    }
  }
  r.scenarios = static_cast<int>(values.size());
  if (!values.empty()) r.mean = stats::mean(values);
  return r;
}

std::string ratio_text(const Ratio& r) {
  if (!r.mean) return r.undefined > 0 ? fmt::format("n/a ({} with SynergAI at 0)", r.undefined) : "n/a";
  auto text = fmt::format("{:.2f}×", *r.mean);
  if (r.undefined > 0) text += fmt::format(" ({} of {} scenarios; {} with SynergAI at 0)", r.scenarios,
                                           r.scenarios + r.undefined, r.undefined);
  return text;
}

// Gnuplot data: strings in double quotes (policy and scenario names carry no quotes).
std::string quoted(const std::string& s) { return "\"" + s + "\""; }

// The optimum of (scenario, seed), when solved.
const OptimumResult* optimum_of(const std::vector<OptimumOutcome>* optima, const std::string& scenario,
                                std::uint64_t seed) {
  if (!optima) return nullptr;
  for (const auto& o : *optima)
    if (o.scenario == scenario && o.seed == seed) return &o.result;
  return nullptr;
}

// The energy section of summary.md: one row per (scenario, policy).
std::string energy_markdown(const config::Experiment& x, const std::vector<Aggregate>& aggregates) {
  std::string md =
      "\n## Energy\n\n"
      "An upper bound per job: the power cap of the configuration it ran in × its execution time (start → finish) "
      "(docs/policies.md, \"Energy\"). A job in a configuration without a known cap — a node without power modes "
      "(the x86 worker: no wattage is known for it), MAXN, a cap nobody stated — has an unknown energy: it is "
      "counted in the last column, never as 0, and left out of the kJ. A total marked † leaves such jobs out, so "
      "totals compare between policies only together with that column. Means over the seeds (per run: ± sample "
      "sd); per job: over every job with a known cap; n/a: no job had one.\n\n"
      "| scenario | policy | violations | energy per run, kJ | energy per job, kJ | jobs with known energy | "
      "jobs with unknown energy |\n|---|---|---:|---:|---:|---:|---:|\n";
  for (const auto& s : x.scenarios)
    for (const auto& p : x.policies) {
      const auto* a = find(aggregates, s, p);
      if (!a) continue;
      std::string per_run = a->energy_known_jobs == 0
                                ? "n/a"
                                : fmt::format("{:.1f} ± {:.1f}{}", a->energy_known_j_mean / 1000,
                                              a->energy_known_j_sd / 1000, a->energy_unknown_jobs > 0 ? " †" : "");
      std::string per_job =
          a->energy_per_known_job_j ? fmt::format("{:.2f}", *a->energy_per_known_job_j / 1000) : "n/a";
      md += fmt::format("| {} | {} | {:.2f} | {} | {} | {:.2f} | {:.2f} |\n", s, policy_label(p), a->violations_mean,
                        per_run, per_job, a->energy_known_jobs_mean, a->energy_unknown_jobs_mean);
    }
  return md;
}

double quartile(const std::vector<double>& v, double p) { return v.empty() ? 0 : stats::percentile(v, p); }

nlohmann::json distribution_json(double q1, double median, double q3, const std::vector<double>& at_or_below) {
  return nlohmann::json{{"q1", q1}, {"median", median}, {"q3", q3}, {"at_or_below", at_or_below}};
}

}  // namespace

std::vector<double> shares_at_or_below(const std::vector<double>& values) {
  std::vector<double> out;
  if (values.empty()) return out;
  auto top = static_cast<std::size_t>(stats::max(values));
  for (std::size_t k = 0; k <= top; ++k) {
    auto n = std::count_if(values.begin(), values.end(), [&](double v) { return v <= static_cast<double>(k); });
    out.push_back(static_cast<double>(n) / static_cast<double>(values.size()));
  }
  return out;
}

std::string policy_label(const std::string& policy) {
  if (policy == "synergai") return "SynergAI";
  if (policy.starts_with("synergai-")) return "SynergAI-" + policy.substr(9);  // its variants: SynergAI-energy
  std::string out = policy;
  for (auto& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

std::vector<Aggregate> aggregate_runs(const config::Experiment& experiment, const std::vector<RunOutcome>& runs,
                                      const std::vector<OptimumOutcome>* optima) {
  std::vector<Aggregate> out;
  for (const auto& scenario : experiment.scenarios) {
    for (const auto& policy : experiment.policies) {
      Aggregate a;
      a.scenario = scenario;
      a.policy = policy;
      std::vector<double> violations, waiting_mean, waiting_p99, e2e_mean, e2e_p50, e2e_p99, excess_all,
          excess_violating, unmeetable, net, dropped, regret, optimum_violations, energy_known, known_jobs,
          unknown_jobs;
      double joules_known_total = 0;
      bool all_optima = optima != nullptr;
      bool first = true;
      for (const auto& run : runs) {
        if (run.key.scenario != scenario || run.key.policy != policy) continue;
        const auto& m = run.metrics;
        ++a.runs;
        a.jobs += m.jobs;
        a.failed += m.failed;
        a.cancelled += m.cancelled;
        a.violations_total += m.violations;
        violations.push_back(static_cast<double>(m.violations));
        unmeetable.push_back(static_cast<double>(m.unmeetable));
        net.push_back(static_cast<double>(m.violations_net));
        dropped.push_back(static_cast<double>(m.cancelled));
        if (const auto* o = optimum_of(optima, scenario, run.key.seed)) {
          regret.push_back(static_cast<double>(m.violations) - static_cast<double>(o->violations));
          optimum_violations.push_back(static_cast<double>(o->violations));
        } else {
          all_optima = false;
        }
        waiting_mean.push_back(m.waiting.mean);
        waiting_p99.push_back(m.waiting.p99);
        e2e_mean.push_back(m.end_to_end.mean);
        e2e_p50.push_back(m.end_to_end.p50);
        e2e_p99.push_back(m.end_to_end.p99);
        a.e2e_min = first ? m.end_to_end.min : std::min(a.e2e_min, m.end_to_end.min);
        a.e2e_max = first ? m.end_to_end.max : std::max(a.e2e_max, m.end_to_end.max);
        excess_all.push_back(m.excess_mean_all);
        if (m.violations > 0) excess_violating.push_back(m.excess_mean_violating);
        energy_known.push_back(run.energy.joules_known);
        known_jobs.push_back(static_cast<double>(run.energy.jobs_known));
        unknown_jobs.push_back(static_cast<double>(run.energy.jobs_unknown));
        joules_known_total += run.energy.joules_known;
        a.energy_known_jobs += run.energy.jobs_known;
        a.energy_unknown_jobs += run.energy.jobs_unknown;
        first = false;
      }
      a.violations_mean = stats::mean(violations);
      a.violations_sd = stats::sample_sd(violations);
      a.violations_min = violations.empty() ? 0 : stats::min(violations);
      a.violations_max = violations.empty() ? 0 : stats::max(violations);
      a.waiting_mean = stats::mean(waiting_mean);
      a.waiting_mean_sd = stats::sample_sd(waiting_mean);
      a.waiting_p99 = stats::mean(waiting_p99);
      a.e2e_mean = stats::mean(e2e_mean);
      a.e2e_mean_sd = stats::sample_sd(e2e_mean);
      a.e2e_p50 = stats::mean(e2e_p50);
      a.e2e_p99 = stats::mean(e2e_p99);
      a.excess_mean_all = stats::mean(excess_all);
      a.excess_mean_all_sd = stats::sample_sd(excess_all);
      a.excess_mean_violating = stats::mean(excess_violating);
      a.runs_with_violations = excess_violating.size();
      a.violations_q1 = quartile(violations, 25);
      a.violations_median = quartile(violations, 50);
      a.violations_q3 = quartile(violations, 75);
      a.violations_at_or_below = shares_at_or_below(violations);
      a.unmeetable_mean = stats::mean(unmeetable);
      a.violations_net_mean = stats::mean(net);
      a.violations_net_sd = stats::sample_sd(net);
      a.dropped_mean = stats::mean(dropped);
      a.energy_known_j_mean = stats::mean(energy_known);
      a.energy_known_j_sd = stats::sample_sd(energy_known);
      if (a.energy_known_jobs > 0) a.energy_per_known_job_j = joules_known_total / static_cast<double>(a.energy_known_jobs);
      a.energy_known_jobs_mean = stats::mean(known_jobs);
      a.energy_unknown_jobs_mean = stats::mean(unknown_jobs);
      if (all_optima && !regret.empty()) {
        a.has_optimum = true;
        a.regret_mean = stats::mean(regret);
        a.regret_sd = stats::sample_sd(regret);
        double opt = stats::mean(optimum_violations);
        if (opt > 0) a.ratio_to_optimum = a.violations_mean / opt;
      }
      out.push_back(std::move(a));
    }
  }
  return out;
}

std::vector<OptimumAggregate> aggregate_optima(const config::Experiment& experiment,
                                               const std::vector<OptimumOutcome>& optima) {
  std::vector<OptimumAggregate> out;
  for (const auto& scenario : experiment.scenarios) {
    OptimumAggregate a;
    a.scenario = scenario;
    std::vector<double> v, bound, failing;
    for (const auto& o : optima) {
      if (o.scenario != scenario) continue;
      ++a.runs;
      if (o.result.proven) ++a.proven;
      a.gap_max = std::max(a.gap_max, o.result.gap());
      a.seconds_total += o.result.seconds;
      a.seconds_max = std::max(a.seconds_max, o.result.seconds);
      v.push_back(static_cast<double>(o.result.violations));
      bound.push_back(static_cast<double>(o.result.violations_bound));
      failing.push_back(static_cast<double>(o.result.failing));
    }
    a.violations_mean = stats::mean(v);
    a.violations_sd = stats::sample_sd(v);
    a.violations_min = v.empty() ? 0 : stats::min(v);
    a.violations_max = v.empty() ? 0 : stats::max(v);
    a.violations_q1 = quartile(v, 25);
    a.violations_median = quartile(v, 50);
    a.violations_q3 = quartile(v, 75);
    a.violations_at_or_below = shares_at_or_below(v);
    a.bound_mean = stats::mean(bound);
    a.failing_mean = stats::mean(failing);
    out.push_back(std::move(a));
  }
  return out;
}

nlohmann::json summary_json(const config::Experiment& x, const std::string& testbed_name,
                            const std::vector<RunOutcome>& runs, const std::vector<Aggregate>& aggregates,
                            const std::vector<OptimumOutcome>* optima) {
  nlohmann::json j;
  j["experiment"] = x.name;
  j["testbed"] = testbed_name;
  j["scenarios"] = x.scenarios;
  j["policies"] = x.policies;
  std::vector<int> seeds;
  for (int s = 1; s <= x.seeds; ++s) seeds.push_back(s);
  j["seeds"] = seeds;
  j["energy_model"] = energy_model_text;
  j["settings"] = {{"jobs", x.jobs},
                   {"draw", x.draw},
                   {"noise_sigma", x.noise_sigma},
                   {"failure_probability", x.failure_probability},
                   {"tick_s", x.tick.count()},
                   {"late", x.late},
                   {"interarrival", x.interarrival},
                   {"srr_queue", x.srr_queue},
                   {"baseline_config", x.baseline_config},
                   {"energy_margin", x.energy_margin}};
  // Learned profiles and simulated drift, only when used (docs/configuration.md).
  if (x.learning)
    j["settings"]["learning"] = {{"alpha", x.learning_settings.alpha},
                                 {"min_observations", x.learning_settings.min_observations},
                                 {"min_ratio", x.learning_settings.min_ratio},
                                 {"max_ratio", x.learning_settings.max_ratio},
                                 {"learned_profiles", x.learned_profiles.string()}};
  if (!x.slowdown.empty()) j["settings"]["slowdown"] = x.slowdown;
  auto& run_list = j["runs"] = nlohmann::json::array();
  for (const auto& r : runs) run_list.push_back(run_summary(r.key, r.metrics, r.energy));
  auto& agg = j["aggregate"] = nlohmann::json::array();
  for (const auto& a : aggregates) {
    agg.push_back({{"scenario", a.scenario},
                   {"policy", a.policy},
                   {"runs", a.runs},
                   {"jobs", a.jobs},
                   {"failed", a.failed},
                   {"cancelled", a.cancelled},
                   {"violations",
                    {{"mean", a.violations_mean},
                     {"sd", a.violations_sd},
                     {"min", a.violations_min},
                     {"max", a.violations_max},
                     {"total", a.violations_total},
                     {"distribution", distribution_json(a.violations_q1, a.violations_median, a.violations_q3,
                                                        a.violations_at_or_below)}}},
                   {"unmeetable_mean", a.unmeetable_mean},
                   {"violations_net", {{"mean", a.violations_net_mean}, {"sd", a.violations_net_sd}}},
                   {"dropped_mean", a.dropped_mean},
                   {"waiting_s_mean", a.waiting_mean},
                   {"waiting_s_mean_sd", a.waiting_mean_sd},
                   {"waiting_s_p99", a.waiting_p99},
                   {"e2e_s_min", a.e2e_min},
                   {"e2e_s_mean", a.e2e_mean},
                   {"e2e_s_mean_sd", a.e2e_mean_sd},
                   {"e2e_s_p50", a.e2e_p50},
                   {"e2e_s_p99", a.e2e_p99},
                   {"e2e_s_max", a.e2e_max},
                   {"excess_s_mean_all", a.excess_mean_all},
                   {"excess_s_mean_all_sd", a.excess_mean_all_sd},
                   {"excess_s_mean_violating", a.excess_mean_violating},
                   {"runs_with_violations", a.runs_with_violations},
                   {"energy",
                    {{"joules_known_per_run", {{"mean", a.energy_known_j_mean}, {"sd", a.energy_known_j_sd}}},
                     {"joules_per_known_job",
                      a.energy_per_known_job_j ? nlohmann::json(*a.energy_per_known_job_j) : nlohmann::json(nullptr)},
                     {"jobs_known_per_run", a.energy_known_jobs_mean},
                     {"jobs_unknown_per_run", a.energy_unknown_jobs_mean},
                     {"jobs_known", a.energy_known_jobs},
                     {"jobs_unknown", a.energy_unknown_jobs}}}});
    if (a.has_optimum)
      agg.back()["optimum"] = {{"regret_mean", a.regret_mean},
                               {"regret_sd", a.regret_sd},
                               {"ratio", a.ratio_to_optimum ? nlohmann::json(*a.ratio_to_optimum) : nlohmann::json(nullptr)}};
  }
  if (optima) {
    auto& opt = j["optimum"];
    opt["time_limit_s"] = x.optimum_time_limit_s;
    auto& list = opt["runs"] = nlohmann::json::array();
    for (const auto& o : *optima)
      list.push_back({{"scenario", o.scenario},
                      {"seed", o.seed},
                      {"jobs", o.result.jobs},
                      {"violations", o.result.violations},
                      {"bound", o.result.violations_bound},
                      {"proven", o.result.proven},
                      {"gap", o.result.gap()},
                      {"failing", o.result.failing}});
    auto& oagg = opt["aggregate"] = nlohmann::json::array();
    for (const auto& a : aggregate_optima(x, *optima))
      oagg.push_back({{"scenario", a.scenario},
                      {"runs", a.runs},
                      {"proven", a.proven},
                      {"gap_max", a.gap_max},
                      {"violations",
                       {{"mean", a.violations_mean},
                        {"sd", a.violations_sd},
                        {"min", a.violations_min},
                        {"max", a.violations_max},
                        {"distribution", distribution_json(a.violations_q1, a.violations_median, a.violations_q3,
                                                           a.violations_at_or_below)}}},
                      {"bound_mean", a.bound_mean},
                      {"failing_mean", a.failing_mean}});
  }
  if (has_policy(x, reference_policy)) {
    auto& ratios = j["ratios"] = nlohmann::json::array();
    auto ratio_json = [](const Ratio& r) {
      return nlohmann::json{{"mean", r.mean ? nlohmann::json(*r.mean) : nlohmann::json(nullptr)},
                            {"scenarios", r.scenarios},
                            {"undefined", r.undefined}};
    };
    for (const auto& p : ratios_to_reference(x, aggregates))
      ratios.push_back({{"policy", p.policy},
                        {"violations", ratio_json(p.violations)},
                        {"e2e_s_p99", ratio_json(p.e2e_p99)},
                        {"excess_s_mean_all", ratio_json(p.excess)}});
  }
  return j;
}

std::vector<PolicyRatios> ratios_to_reference(const config::Experiment& x, const std::vector<Aggregate>& aggregates) {
  std::vector<PolicyRatios> out;
  if (!has_policy(x, reference_policy)) return out;
  for (const auto& p : x.policies) {
    if (p == reference_policy) continue;
    out.push_back(PolicyRatios{p, ratio_over_scenarios(x, aggregates, p, &Aggregate::violations_mean),
                               ratio_over_scenarios(x, aggregates, p, &Aggregate::e2e_p99),
                               ratio_over_scenarios(x, aggregates, p, &Aggregate::excess_mean_all)});
  }
  return out;
}

std::string summary_markdown(const config::Experiment& x, const std::string& testbed_name,
                             const std::vector<Aggregate>& aggregates, const std::vector<OptimumOutcome>* optima) {
  std::vector<OptimumAggregate> optimum_aggregates;
  if (optima) optimum_aggregates = aggregate_optima(x, *optima);
  auto optimum_for = [&](const std::string& scenario) -> const OptimumAggregate* {
    for (const auto& a : optimum_aggregates)
      if (a.scenario == scenario) return &a;
    return nullptr;
  };
  std::string md = fmt::format("# Experiment {}\n\n", x.name);
  md += fmt::format(
      "Testbed `{}`; {} scenario{} × {} polic{} × {} seed{} (1..{}), {} jobs per run ({} draw), "
      "execution-time noise σ {}, failure probability {}, tick {} s. Readings: late jobs `{}`, mean inter-arrival "
      "from {}, SRR queue `{}`, baseline configuration `{}`.{}\n\n",
      testbed_name, x.scenarios.size(), x.scenarios.size() == 1 ? "" : "s", x.policies.size(),
      x.policies.size() == 1 ? "y" : "ies", x.seeds, x.seeds == 1 ? "" : "s", x.seeds, x.jobs, x.draw, x.noise_sigma,
      x.failure_probability, x.tick.count(), x.late, x.interarrival == "total" ? "pre-processing + q/QPS" : "q/QPS",
      x.srr_queue, x.baseline_config,
      has_policy(x, "synergai-energy") ? fmt::format(" SynergAI-energy's deadline margin {}.", x.energy_margin) : "");
  if (!x.slowdown.empty()) {
    std::vector<std::string> slower;
    for (const auto& [node, factor] : x.slowdown) slower.push_back(fmt::format("{} × {}", node, factor));
    md += fmt::format("Simulated drift: true execution times {}, the dictionary as profiled.\n\n",
                      fmt::join(slower, ", "));
  }
  if (x.learning)
    md += fmt::format("Learned profiles on: alpha {}, used after {} runs, guard [{}, {}] × the mean{}.\n\n",
                      x.learning_settings.alpha, x.learning_settings.min_observations, x.learning_settings.min_ratio,
                      x.learning_settings.max_ratio,
                      x.learned_profiles.empty() ? ", each run starting with nothing learned"
                                                 : ", each run starting from " + x.learned_profiles.filename().string());
  md +=
      "Per run: violations = jobs that finished after their QoS target or failed; waiting = submission → start; "
      "e2e = submission → finish; excess = max(0, e2e − QoS); a cancelled (dropped) job is a violation too. Over the seeds: violations mean ± sample sd "
      "(min–max); waiting and e2e mean/p99 are means of the per-run values; e2e min/max are the extremes over all "
      "runs; excess (all) is the mean over runs of the mean over finished jobs, excess (violating) the mean over "
      "runs with a violation of the mean over violating jobs. Times in seconds.\n";
  for (const auto& s : x.scenarios) {
    md += fmt::format("\n## {}\n\n", s);
    md += "| policy | violations | min–max | waiting mean | e2e min | e2e mean | e2e p99 | e2e max | excess (all) | "
          "excess (violating) |\n";
    md += "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n";
    for (const auto& p : x.policies) {
      const auto* a = find(aggregates, s, p);
      if (!a) continue;
      md += fmt::format("| {} | {:.2f} ± {:.2f} | {:.0f}–{:.0f} | {:.1f} | {:.1f} | {:.1f} | {:.1f} | {:.1f} | {:.1f} | "
                        "{} |\n",
                        policy_label(p), a->violations_mean, a->violations_sd, a->violations_min, a->violations_max,
                        a->waiting_mean, a->e2e_min, a->e2e_mean, a->e2e_p99, a->e2e_max, a->excess_mean_all,
                        a->runs_with_violations > 0 ? fmt::format("{:.1f}", a->excess_mean_violating) : "–");
    }
    // The distribution over the seeds, the jobs no scheduler could serve, and the optimum.
    const auto* opt = optimum_for(s);
    double unmeetable = 0;
    for (const auto& p : x.policies)
      if (const auto* a = find(aggregates, s, p)) unmeetable = a->unmeetable_mean;  // the same jobs for every policy
    md += fmt::format("\nViolations over the {} seeds: quartiles, net of the {:.2f} jobs per run unmeetable at submission "
                      "(QoS below the fastest estimate on every worker), dropped jobs",
                      x.seeds, unmeetable);
    md += opt ? "; against the clairvoyant optimum of the same seeds: regret (violations − optimum, mean ± sd) and "
                "ratio (mean violations / mean optimum).\n\n"
              : ".\n\n";
    md += "| policy | violations | Q1 / median / Q3 | net of unmeetable | dropped |";
    md += opt ? " regret | × optimum |\n|---|---:|---:|---:|---:|---:|---:|\n" : "\n|---|---:|---:|---:|---:|\n";
    if (opt)
      md += fmt::format("| optimum ({} of {} proven{}) | {:.2f} ± {:.2f} | {:.1f} / {:.1f} / {:.1f} | – | – | 0 | 1 |\n",
                        opt->proven, opt->runs,
                        opt->proven == opt->runs ? "" : fmt::format("; bound {:.2f}, gap ≤ {}", opt->bound_mean, opt->gap_max),
                        opt->violations_mean, opt->violations_sd, opt->violations_q1, opt->violations_median,
                        opt->violations_q3);
    for (const auto& p : x.policies) {
      const auto* a = find(aggregates, s, p);
      if (!a) continue;
      md += fmt::format("| {} | {:.2f} ± {:.2f} | {:.1f} / {:.1f} / {:.1f} | {:.2f} ± {:.2f} | {:.2f} |", policy_label(p),
                        a->violations_mean, a->violations_sd, a->violations_q1, a->violations_median, a->violations_q3,
                        a->violations_net_mean, a->violations_net_sd, a->dropped_mean);
      if (opt)
        md += a->has_optimum ? fmt::format(" {:.2f} ± {:.2f} | {} |", a->regret_mean, a->regret_sd,
                                           a->ratio_to_optimum ? fmt::format("{:.2f}×", *a->ratio_to_optimum) : "n/a")
                             : " – | – |";
      md += "\n";
    }
    // The share of seeds at or below k violations, so a single run can be placed.
    std::size_t top = 0;
    for (const auto& p : x.policies)
      if (const auto* a = find(aggregates, s, p)) top = std::max(top, a->violations_at_or_below.size());
    if (opt) top = std::max(top, opt->violations_at_or_below.size());
    if (top > 0) {
      const std::size_t step = std::max<std::size_t>(1, (top + 11) / 12);
      std::vector<std::size_t> ks;
      for (std::size_t k = 0; k < top; k += step) ks.push_back(k);
      md += "\nShare of seeds with at most k violations:\n\n| policy |";
      for (auto k : ks) md += fmt::format(" ≤{} |", k);
      md += "\n|---|" + std::string{};
      for (std::size_t i = 0; i < ks.size(); ++i) md += "---:|";
      md += "\n";
      auto row = [&](const std::string& label, const std::vector<double>& shares) {
        md += "| " + label + " |";
        for (auto k : ks) md += fmt::format(" {:.0f}% |", 100 * (k < shares.size() ? shares[k] : 1.0));
        md += "\n";
      };
      if (opt) row("optimum", opt->violations_at_or_below);
      for (const auto& p : x.policies)
        if (const auto* a = find(aggregates, s, p)) row(policy_label(p), a->violations_at_or_below);
    }
  }
  if (!optimum_aggregates.empty()) {
    md += fmt::format(
        "\n## Distance from the clairvoyant optimum\n\n"
        "The fewest violations any non-preemptive schedule can reach with every arrival and execution time known "
        "in advance (a MILP solved by CBC, at most {} s of CPU each; docs/results.md). Per scenario: the optimum's mean "
        "violations per run, how many seeds were proven optimal, then each policy's mean regret (violations − "
        "optimum).\n\n| scenario | optimum | proven |",
        x.optimum_time_limit_s);
    for (const auto& p : x.policies) md += " " + policy_label(p) + " |";
    md += "\n|---|---:|---:|";
    for (std::size_t i = 0; i < x.policies.size(); ++i) md += "---:|";
    md += "\n";
    for (const auto& s : x.scenarios) {
      const auto* opt = optimum_for(s);
      if (!opt) continue;
      md += fmt::format("| {} | {:.2f} | {}/{} |", s, opt->violations_mean, opt->proven, opt->runs);
      for (const auto& p : x.policies) {
        const auto* a = find(aggregates, s, p);
        md += a && a->has_optimum ? fmt::format(" +{:.2f} |", a->regret_mean) : " – |";
      }
      md += "\n";
    }
  }
  md += energy_markdown(x, aggregates);
  md += "\n## SynergAI against each policy\n\n";
  if (!has_policy(x, reference_policy)) {
    md += "SynergAI is not among this experiment's policies: no ratios.\n";
    return md;
  }
  md += fmt::format(
      "Per scenario the ratio policy / SynergAI of the violations (mean per run), the e2e p99 and the mean excess "
      "over all finished jobs, then the mean of that ratio over the {} scenario{}: above 1 means SynergAI does "
      "better. Where both are 0 the ratio is 1; where only SynergAI's is 0 the ratio is undefined and that "
      "scenario is left out (said in the cell); n/a when no scenario defines it.\n\n",
      x.scenarios.size(), x.scenarios.size() == 1 ? "" : "s");
  md += "| policy | violations | e2e p99 | excess (all) |\n|---|---:|---:|---:|\n";
  for (const auto& r : ratios_to_reference(x, aggregates))
    md += fmt::format("| {} | {} | {} | {} |\n", policy_label(r.policy), ratio_text(r.violations),
                      ratio_text(r.e2e_p99), ratio_text(r.excess));
  return md;
}

std::vector<std::string> figure_names(const config::Experiment& x) {
  std::vector<std::string> out;
  for (const auto& s : x.scenarios)
    for (const char* ext : {".png", ".svg"}) out.push_back(s + ext);
  if (has_policy(x, reference_policy) && has_policy(x, versus_policy))
    for (const char* ext : {".png", ".svg"}) out.push_back(fmt::format("{}-vs-{}{}", reference_policy, versus_policy, ext));
  if (!x.scenarios.empty() && !x.policies.empty())
    for (const char* ext : {".png", ".svg"}) out.push_back(fmt::format("energy{}", ext));
  return out;
}

std::map<std::string, std::string> figure_files(const config::Experiment& x, const std::vector<RunOutcome>& runs,
                                                const std::vector<Aggregate>& aggregates,
                                                const std::vector<OptimumOutcome>* optima) {
  std::vector<OptimumAggregate> optimum_aggregates;
  if (optima) optimum_aggregates = aggregate_optima(x, *optima);
  std::map<std::string, std::string> files;
  files["scenario.gp"] = scenario_gp;
  files["versus.gp"] = versus_gp;

  std::string labels, colours;
  for (std::size_t i = 0; i < x.policies.size(); ++i) {
    labels += (i ? " " : "") + policy_label(x.policies[i]);
    colours += (i ? " " : "") + policy_colour(x.policies[i], i);
  }

  std::string driver =
      "# Draws every figure of this experiment: run `gnuplot figures.gp` inside this folder.\n"
      "# Generated by `synergai experiment`; scenario.gp, versus.gp and energy.gp are experiments/*.gp.\n";
  for (const auto& s : x.scenarios) {
    std::string pol =
        "# idx label violations_mean violations_sd violations_min violations_max colour waiting_mean waiting_mean_sd "
        "excess_mean_all excess_mean_all_sd excess_mean_violating e2e_mean e2e_p99\n";
    std::string e2e = "# end-to-end seconds of every finished job over all seeds, one block per policy:\n";
    std::string viol = "# QoS violations of each run (seed), one block per policy:\n";
    for (std::size_t i = 0; i < x.policies.size(); ++i) {
      const auto& p = x.policies[i];
      const auto* a = find(aggregates, s, p);
      if (!a) continue;
      pol += fmt::format("{} {} {:.6f} {:.6f} {:.0f} {:.0f} {} {:.6f} {:.6f} {:.6f} {:.6f} {:.6f} {:.6f} {:.6f}\n", i,
                         quoted(policy_label(p)), a->violations_mean, a->violations_sd, a->violations_min,
                         a->violations_max, std::stoi(policy_colour(p, i).substr(1), nullptr, 16), a->waiting_mean,
                         a->waiting_mean_sd, a->excess_mean_all, a->excess_mean_all_sd, a->excess_mean_violating,
                         a->e2e_mean, a->e2e_p99);
      e2e += fmt::format("{}# {}\n", i ? "\n\n" : "", policy_label(p));
      viol += fmt::format("{}# {}\n", i ? "\n\n" : "", policy_label(p));
      for (const auto& run : runs) {
        if (run.key.scenario != s || run.key.policy != p) continue;
        viol += fmt::format("{}\n", run.metrics.violations);
        for (const auto& job : run.jobs)
          if (auto d = job.end_to_end()) e2e += fmt::format("{:.6f}\n", d->count());
      }
    }
    files[s + ".policies.dat"] = pol;
    files[s + ".e2e.dat"] = e2e;
    files[s + ".violations.dat"] = viol;
    std::string optimum = "none";  // the optimum's mean violations, drawn as a dashed line
    for (const auto& a : optimum_aggregates)
      if (a.scenario == s) optimum = fmt::format("{:.6f}", a.violations_mean);
    for (const char* term : {"png", "svg"})
      driver += fmt::format("call 'scenario.gp' '{}' '{}' '{}' '{}' '{}' '{}' '{}'\n", s, term, x.policies.size(),
                            x.seeds, labels, colours, optimum);
  }

  if (has_policy(x, reference_policy) && has_policy(x, versus_policy)) {
    std::string v =
        "# idx scenario a_violations_mean a_violations_sd b_violations_mean b_violations_sd a_e2e_p99 b_e2e_p99 "
        "a_excess_mean_all b_excess_mean_all a_waiting_mean b_waiting_mean (a: " +
        policy_label(reference_policy) + ", b: " + policy_label(versus_policy) + ")\n";
    int i = 0;
    for (const auto& s : x.scenarios) {
      const auto* a = find(aggregates, s, reference_policy);
      const auto* b = find(aggregates, s, versus_policy);
      v += fmt::format("{} {} {:.6f} {:.6f} {:.6f} {:.6f} {:.6f} {:.6f} {:.6f} {:.6f} {:.6f} {:.6f}\n", i++, quoted(s),
                       a->violations_mean, a->violations_sd, b->violations_mean, b->violations_sd, a->e2e_p99,
                       b->e2e_p99, a->excess_mean_all, b->excess_mean_all, a->waiting_mean, b->waiting_mean);
    }
    auto base = fmt::format("{}-vs-{}", reference_policy, versus_policy);
    files[base + ".dat"] = v;
    for (const char* term : {"png", "svg"})
      driver += fmt::format("call 'versus.gp' '{}' '{}' '{}' '{}' '{}' '{}' '{}'\n", base, term,
                            policy_label(reference_policy), policy_label(versus_policy),
                            policy_colour(reference_policy, 0), policy_colour(versus_policy, 0), x.seeds);
  }
  if (!x.scenarios.empty() && !x.policies.empty()) {
    // Energy: one row per (scenario, policy); NaN where no job had a known cap.
    std::string e =
        "# x scenario policy_index policy energy_known_kJ_per_run_mean energy_known_kJ_per_run_sd "
        "energy_kJ_per_known_job jobs_unknown_per_run jobs_known_per_run violations_mean\n";
    std::string tics = "# x scenario: the middle of each scenario's group of bars in energy.dat\n";
    std::size_t si = 0;
    for (const auto& s : x.scenarios) {
      tics += fmt::format("{:.1f} {}\n", static_cast<double>(si * (x.policies.size() + 1)) +
                                            static_cast<double>(x.policies.size() - 1) / 2, quoted(s));
      for (std::size_t i = 0; i < x.policies.size(); ++i) {
        const auto* a = find(aggregates, s, x.policies[i]);
        if (!a) continue;
        auto known = [&](double v) { return a->energy_known_jobs > 0 ? fmt::format("{:.6f}", v) : std::string{"NaN"}; };
        e += fmt::format("{} {} {} {} {} {} {} {:.6f} {:.6f} {:.6f}\n", si * (x.policies.size() + 1) + i, quoted(s), i,
                         quoted(policy_label(x.policies[i])), known(a->energy_known_j_mean / 1000),
                         known(a->energy_known_j_sd / 1000),
                         a->energy_per_known_job_j ? fmt::format("{:.6f}", *a->energy_per_known_job_j / 1000) : "NaN",
                         a->energy_unknown_jobs_mean, a->energy_known_jobs_mean, a->violations_mean);
      }
      ++si;
    }
    files["energy.dat"] = e;
    files["energy.tics.dat"] = tics;
    files["energy.gp"] = energy_gp;
    for (const char* term : {"png", "svg"})
      driver += fmt::format("call 'energy.gp' '{}' '{}' '{}' '{}' '{}'\n", term, x.policies.size(), x.seeds, labels,
                            colours);
  }
  files["figures.gp"] = driver;
  return files;
}

}  // namespace synergai::experiments
