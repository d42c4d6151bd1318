// `synergai run`: one scheduling run in virtual time (or, with --executor
// local, in real time with real inference on this machine), from a thesis scenario
// (Poisson arrivals drawn with the seed) or a replayed arrivals file. Prints
// the per-job table, the metrics and the energy bound (config/energy.hpp);
// --out writes jobs.csv and summary.json, --trace the decision log as JSON lines.
#include "executors/local/local_executor.hpp"
#include "actors/metrics.hpp"
#include "actors/policies/policy.hpp"
#include "actors/runtime.hpp"
#include "apps/cli.hpp"
#include "config/dictionary.hpp"
#include "config/learned_profiles.hpp"
#include "config/testbed.hpp"
#include "experiments/experiment_runner.hpp"
#include "experiments/optimum.hpp"
#include "experiments/run_output.hpp"
#include "experiments/scenario.hpp"
#include "support/files.hpp"
#include "support/log.hpp"

#include <fmt/format.h>

namespace synergai::app {
namespace {

struct RunArgs {
  std::string testbed = "config/testbeds/thesis.yaml";
  std::string dictionary = "config/dictionaries/thesis.json";
  std::string scenario;
  std::string arrivals;
  int jobs = 24;
  std::string draw = "uniform";
  std::vector<int> query_counts;  // empty: the thesis's (3900, 1950, 975, 488)
  std::string late = "run";
  std::string interarrival = "inference";
  std::string srr_queue = "per-worker";
  std::string baseline_config = "testbed";
  double energy_margin = 0.8;
  bool optimum = false;
  double optimum_time_limit_s = 20;
  double tick_s = 1;
  double reservation_ttl_s = 5;
  std::string out;
  std::string trace;
  bool quiet = false;
  std::string executor = "simulated";
  std::string models;            // local executor: folder of relative model files
  double job_timeout_s = 30;     // local executor: a job's time-limit floor
  double time_limit_s = 3600;    // local executor: the whole run
  std::vector<std::string> slowdown;  // NODE=FACTOR: simulated drift
  RuntimeOptions options;
};

// "NODE=FACTOR" for a node of the testbed and a factor in (0, 100].
std::pair<std::string, double> parse_slowdown(const std::string& text, const config::Testbed& testbed) {
  const auto eq = text.find('=');
  double factor = 0;
  std::size_t used = 0;
  try {
    if (eq != std::string::npos) factor = std::stod(text.substr(eq + 1), &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (eq == std::string::npos || used == 0 || used != text.size() - eq - 1 || !(factor > 0 && factor <= 100))
    throw InputError{fmt::format("run: --slowdown {}: expected NODE=FACTOR with a factor in (0, 100], e.g. x86=1.4",
                                 text)};
  auto node = text.substr(0, eq);
  if (!testbed.find_node(node))
    throw InputError{fmt::format("run: --slowdown {}: unknown node \"{}\" (not in testbed {})", text, node, testbed.name)};
  return {node, factor};
}

int run_command(RunArgs& a) {
  auto testbed = experiments::with_baseline_reading(config::load_testbed(a.testbed), a.baseline_config);
  auto dictionary = config::load_dictionary(a.dictionary, &testbed);
  a.options.policy_options.srr_global_queue = a.srr_queue == "global";
  a.options.policy_options.energy_deadline_margin = a.energy_margin;
  a.options.tick = Seconds{a.tick_s};
  a.options.reservation_ttl = Seconds{a.reservation_ttl_s};
  a.options.late_jobs = a.late == "drop" ? LateJobs::drop : LateJobs::run;
  a.options.trace = !a.trace.empty();
  for (const auto& s : a.slowdown) a.options.slowdown.insert(parse_slowdown(s, testbed));
  if (!a.options.slowdown.empty() && (a.optimum || a.executor != "simulated"))
    throw InputError{"run: --slowdown is the simulated executor's, and the optimum does not model it"};
  if (a.options.learning) a.options.learned_profiles = std::make_shared<config::LearnedProfiles>();

  std::vector<JobSpec> jobs;
  experiments::RunKey key{a.scenario, a.options.policy, a.options.seed};
  if (a.scenario.empty() && a.arrivals.empty()) throw InputError{"run: give --scenario or --arrivals"};
  if (!a.arrivals.empty()) {
    jobs = experiments::load_arrivals(a.arrivals, testbed);
    key.scenario = "arrivals:" + std::filesystem::path{a.arrivals}.filename().string();
  } else {
    auto scenario = experiments::parse_scenario(a.scenario);
    scenario.jobs = a.jobs;
    scenario.draw = *experiments::parse_job_draw(a.draw);
    if (!a.query_counts.empty()) scenario.query_counts = a.query_counts;
    scenario.interarrival = *experiments::parse_interarrival(a.interarrival);
    jobs = experiments::generate_jobs(scenario, testbed, dictionary, a.options.seed);
  }
  log::info("run", "starting",
            {{"jobs", jobs.size()}, {"policy", a.options.policy}, {"seed", a.options.seed}, {"testbed", testbed.name}});

  if (a.optimum && a.executor != "simulated")
    throw InputError{"run: --optimum needs the simulated executor's drawn times"};
  const auto submitted = jobs;

  RunResult result;
  if (a.executor == "local") {
    // Real time, real inference: each job a `synergai engine run` child pinned to its node's CPUs.
    LocalExecutorConfig ex;
    ex.engine.program = self_executable();
    ex.engine.models = a.models.empty() ? default_models_dir() : std::filesystem::path{a.models};
    ex.timeout_floor = Seconds{a.job_timeout_s};
    for (const auto& job : jobs)
      if (const auto* e = testbed.find_engine(job.engine)) model_path(*e, ex.engine.models);  // InputError if none
    result = run_realtime(testbed, dictionary, std::move(jobs), a.options, Seconds{a.time_limit_s},
                          [ex](caf::actor_system& sys, std::shared_ptr<const Performance> performance,
                               const Timeline& timeline) {
                            auto config = ex;
                            config.timeline = timeline;
                            return executor_actor{sys.spawn(local_executor, config, std::move(performance))};
                          });
  } else {
    result = run_virtual(testbed, dictionary, std::move(jobs), a.options);
  }
  std::optional<experiments::OptimumResult> optimum;
  if (a.optimum)  // starting from this run's schedule
    optimum = experiments::clairvoyant_optimum(
        testbed, dictionary, submitted,
        experiments::DrawnTimes{a.options.seed, a.options.noise_sigma, a.options.failure_probability},
        experiments::OptimumOptions{a.optimum_time_limit_s, experiments::schedule_of(testbed, result.jobs)});
  const Performance performance{testbed, dictionary};
  auto metrics = compute_metrics(result.jobs, performance);
  if (!a.quiet) fmt::print("{}\n", experiments::jobs_table(result.jobs));
  fmt::print("{}", experiments::metrics_text(metrics));
  const auto energy = run_energy(testbed, result.jobs);
  fmt::print("{}", experiments::energy_text(energy));
  if (const auto& learned = a.options.learned_profiles)
    for (const auto& [node, e] : learned->entries().nodes)
      fmt::print("learned: {} runs {:.3f} x the profile over {} runs ({} rejected)\n", node, e.ratio, e.observations,
                 e.rejected);
  if (optimum)
    fmt::print("clairvoyant optimum: {} violations{} ({:.2f} s); regret {}\n", optimum->violations,
               optimum->proven ? " (proven)"
                               : fmt::format(" (not proven: bound {}, gap {})", optimum->violations_bound, optimum->gap()),
               optimum->seconds,
               static_cast<long>(metrics.violations) - static_cast<long>(optimum->violations));

  if (!a.out.empty()) {
    std::filesystem::path dir{a.out};
    write_file_atomically(dir / "jobs.csv",
                          experiments::jobs_csv_header(false) + experiments::jobs_csv_rows(result.jobs, nullptr, &performance));
    write_file_atomically(dir / "summary.json", experiments::run_summary(key, metrics, energy).dump(2) + "\n");
    log::info("run", "results written", {{"jobs_csv", (dir / "jobs.csv").string()}, {"summary", (dir / "summary.json").string()}});
  }
  if (!a.trace.empty()) write_file_atomically(a.trace, experiments::trace_lines(result.trace));
  for (const auto& anomaly : result.anomalies) log::error("run", "anomaly", {{"what", anomaly}});
  return result.anomalies.empty() ? 0 : 1;
}

}  // namespace

void add_run_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("run", "Run one scheduling scenario in virtual time and report its metrics");
  static RunArgs a;
  cmd->add_option("--testbed", a.testbed, "Testbed YAML")->check(CLI::ExistingFile)->capture_default_str();
  cmd->add_option("--dictionary", a.dictionary, "Configuration dictionary JSON")
      ->check(CLI::ExistingFile)
      ->capture_default_str();
  auto* scenario = cmd->add_option("--scenario", a.scenario, "DL-FL | DL-FH | DH-FL | DH-FH")
                       ->check(CLI::IsMember({"DL-FL", "DL-FH", "DH-FL", "DH-FH"}));
  auto* arrivals = cmd->add_option("--arrivals", a.arrivals, "Replay a CSV of time_s,engine,queries,qos_s instead")
                       ->check(CLI::ExistingFile);
  scenario->excludes(arrivals);
  cmd->add_option("--policy", a.options.policy, "Scheduling policy")
      ->check(CLI::IsMember(policy_names()))
      ->capture_default_str();
  cmd->add_option("--seed", a.options.seed, "Seed of the job draw, arrivals and noise")->capture_default_str();
  cmd->add_option("--jobs", a.jobs, "Jobs per scenario run")->check(CLI::Range(1, 1000000))->capture_default_str();
  cmd->add_option("--query-counts", a.query_counts,
                  "Comma-separated query counts jobs draw from instead of the thesis's 3900,1950,975,488 (QoS targets "
                  "and arrivals follow); small ones make a real run with --executor local last a minute")
      ->delimiter(',')
      ->check(CLI::Range(1, 1000000000));
  cmd->add_option("--draw", a.draw, "How jobs are drawn: uniform | balanced")
      ->check(CLI::IsMember({"uniform", "balanced"}))
      ->capture_default_str();
  cmd->add_option("--tick", a.tick_s, "Urgency re-evaluation period, seconds")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--reservation-ttl", a.reservation_ttl_s, "Seconds a worker's grant waits for its start")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--noise", a.options.noise_sigma, "Log-normal sigma of execution-time noise")
      ->check(CLI::Range(0.0, 2.0))
      ->capture_default_str();
  cmd->add_option("--failure-probability", a.options.failure_probability, "Chance that an execution fails")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  cmd->add_option("--late", a.late, "Inevitably late jobs: run (on the fastest free worker) | drop")
      ->check(CLI::IsMember({"run", "drop"}))
      ->capture_default_str();
  cmd->add_option("--interarrival", a.interarrival,
                  "Mean inter-arrival from q/QPS (inference) or pre-processing + q/QPS (total)")
      ->check(CLI::IsMember({"inference", "total"}))
      ->capture_default_str();
  cmd->add_option("--srr-queue", a.srr_queue, "SRR: a queue per worker (per-worker) or one strict FCFS queue (global)")
      ->check(CLI::IsMember({"per-worker", "global"}))
      ->capture_default_str();
  cmd->add_option("--baseline-config", a.baseline_config,
                  "Baselines' fixed configuration: the testbed's baseline_config (testbed) or the default mode "
                  "(default-mode)")
      ->check(CLI::IsMember({"testbed", "default-mode"}))
      ->capture_default_str();
  cmd->add_option("--energy-margin", a.energy_margin,
                  "synergai-energy: the share of a job's remaining time its configuration must fit in")
      ->check(share_in_zero_to_one())
      ->capture_default_str();
  cmd->add_flag("--optimum", a.optimum, "Also solve the run's clairvoyant optimum (MILP, CBC) and print the regret");
  cmd->add_option("--optimum-time-limit", a.optimum_time_limit_s, "Seconds for the optimum's MILP")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_flag("--learning", a.options.learning,
                "Learn each node's estimates from the observed run times (docs/configuration.md, learned profiles)");
  cmd->add_option("--slowdown", a.slowdown,
                  "NODE=FACTOR: that node's runs take FACTOR x their modelled time, the dictionary as profiled "
                  "(repeatable)");
  cmd->add_flag("--head-of-line-blocking", a.options.head_of_line_blocking,
                "A job that cannot be placed holds back the jobs behind it");
  cmd->add_option("--out", a.out, "Folder for jobs.csv and summary.json");
  cmd->add_option("--trace", a.trace, "Write the decision log (JSON lines) to this file");
  cmd->add_flag("--quiet", a.quiet, "Print only the metrics, not the per-job table");
  cmd->add_option("--executor", a.executor,
                  "simulated (virtual time) | local (real time: jobs run the local engine, docs/local.md)")
      ->check(CLI::IsMember({"simulated", "local"}))
      ->capture_default_str();
  cmd->add_option("--models", a.models, "Local executor: folder of relative model files (default: the build tree's models/)");
  cmd->add_option("--job-timeout", a.job_timeout_s,
                  "Local executor: a job is killed after max(this, 3 x its estimate) seconds")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--time-limit", a.time_limit_s, "Local executor: seconds the whole run may take")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  set_action(cmd, [] { return run_command(a); });
}

}  // namespace synergai::app
