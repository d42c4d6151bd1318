// `synergai experiment`: the thesis's evaluation as one command. Runs every
// scenario x policy x seed of an experiment file in virtual time on a pool of
// threads, then writes jobs.csv, energy.csv, summary.json, summary.md and
// figures/ into one folder (docs/results.md) and prints summary.md.
#include "config/performance.hpp"
#include "actors/policies/policy.hpp"
#include "apps/cli.hpp"
#include "config/dictionary.hpp"
#include "config/experiment.hpp"
#include "config/testbed.hpp"
#include "experiments/experiment_runner.hpp"
#include "experiments/output_folder.hpp"
#include "experiments/plot.hpp"
#include "experiments/report.hpp"
#include "experiments/report_html.hpp"
#include "support/errors.hpp"
#include "support/files.hpp"
#include "support/log.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <fstream>
#include <optional>
#include <set>
#include <sys/resource.h>
#include <unistd.h>

namespace synergai::app {
namespace {

std::atomic<bool> interrupted{false};
extern "C" void on_interrupt(int) { interrupted.store(true); }

struct ExperimentArgs {
  std::string config = "experiments/paper.yaml";
  std::string out;
  int seeds = 0;
  std::vector<std::string> policies;
  std::vector<std::string> scenarios;
  int jobs = 0;
  unsigned threads = 0;
  bool replace = false;
  bool no_figures = false;
  bool optimum = false;
  double optimum_time_limit_s = 0;
  double energy_margin = -1;  // unset: the file's
  std::string late, interarrival, srr_queue, baseline_config;
};

// The same checks an experiment file gets, for names given on the command line.
std::vector<std::string> checked_names(const std::vector<std::string>& names, const std::set<std::string>& known,
                                       std::string_view flag, std::string_view what) {
  std::vector<std::string> out;
  for (const auto& n : names) {
    if (!known.count(n))
      throw InputError{fmt::format("{}: unknown {} \"{}\" (known: {})", flag, what, n, fmt::join(known, ", "))};
    if (std::find(out.begin(), out.end(), n) != out.end())
      throw InputError{fmt::format("{}: {} \"{}\" listed twice", flag, what, n)};
    out.push_back(n);
  }
  return out;
}

double cpu_seconds() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

// Installs the interrupt handlers for the duration of a run, then restores them.
class InterruptGuard {
 public:
  InterruptGuard() {
    interrupted.store(false);
    old_int_ = std::signal(SIGINT, on_interrupt);
    old_term_ = std::signal(SIGTERM, on_interrupt);
  }
  ~InterruptGuard() {
    std::signal(SIGINT, old_int_);
    std::signal(SIGTERM, old_term_);
  }

 private:
  void (*old_int_)(int) = nullptr;
  void (*old_term_)(int) = nullptr;
};

int experiment_command(const ExperimentArgs& a) {
  auto known_policies = policy_names();
  auto x = config::load_experiment(a.config, known_policies);
  if (!a.policies.empty()) x.policies = checked_names(a.policies, known_policies, "--policies", "policy");
  if (!a.scenarios.empty())
    x.scenarios = checked_names(a.scenarios, {config::scenario_names.begin(), config::scenario_names.end()},
                                "--scenarios", "scenario");
  if (a.seeds > 0) x.seeds = a.seeds;
  if (a.jobs > 0) x.jobs = a.jobs;
  if (a.optimum) x.optimum = true;
  if (a.optimum_time_limit_s > 0) x.optimum_time_limit_s = a.optimum_time_limit_s;
  if (!a.late.empty()) x.late = a.late;
  if (!a.interarrival.empty()) x.interarrival = a.interarrival;
  if (!a.srr_queue.empty()) x.srr_queue = a.srr_queue;
  if (!a.baseline_config.empty()) x.baseline_config = a.baseline_config;
  if (a.energy_margin >= 0) x.energy_margin = a.energy_margin;

  auto testbed = config::load_testbed(x.testbed);
  auto dictionary = config::load_dictionary(x.dictionary, &testbed);
  std::filesystem::path target =
      a.out.empty() ? experiments::default_output_folder("results", x.name) : std::filesystem::path{a.out};
  experiments::OutputFolder folder{target, a.replace};

  const auto total = x.scenarios.size() * x.policies.size() * static_cast<std::size_t>(x.seeds);
  const unsigned threads = a.threads ? a.threads : experiments::default_threads();
  log::info("experiment", "starting",
            {{"experiment", x.name}, {"scenarios", x.scenarios.size()}, {"policies", x.policies.size()},
             {"seeds", x.seeds}, {"runs", total}, {"jobs_per_run", x.jobs}, {"threads", threads}});

  // Until the results are in place, an interrupt stops the work and removes
  // the staging folder (OutputFolder's destructor).
  InterruptGuard guard;
  auto stop = [] {
    std::fprintf(stderr, "\nexperiment: interrupted; nothing was written\n");
    return 130;
  };
  std::vector<experiments::RunOutcome> runs;
  const auto start = std::chrono::steady_clock::now();
  const double cpu_start = cpu_seconds();
  {
    experiments::ProgressReporter progress{stderr, ::isatty(STDERR_FILENO) == 1};
    experiments::RunnerOptions options;
    options.threads = threads;
    options.progress = [&progress](std::size_t done, std::size_t n) { progress(done, n); };
    options.cancel = &interrupted;
    try {
      runs = experiments::run_experiment(x, testbed, dictionary, options);
    } catch (const RuntimeError& e) {
      if (!interrupted.load()) throw;
      return stop();
    }
  }
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double cpu = cpu_seconds() - cpu_start;
  log::info("experiment", "runs done",
            {{"runs", runs.size()}, {"wall_s", std::round(wall * 100) / 100}, {"threads", threads},
             {"runs_per_s", std::round(static_cast<double>(runs.size()) / wall * 10) / 10},
             {"cpu_ms_per_run", std::round(100000 * cpu / static_cast<double>(runs.size())) / 100}});

  std::optional<std::vector<experiments::OptimumOutcome>> optima;
  if (x.optimum) {
    const auto optimum_start = std::chrono::steady_clock::now();
    experiments::ProgressReporter progress{stderr, ::isatty(STDERR_FILENO) == 1};
    experiments::RunnerOptions options;
    options.progress = [&progress](std::size_t done, std::size_t n) { progress(done, n); };
    options.cancel = &interrupted;
    try {
      optima = experiments::solve_optima(x, testbed, dictionary, options, &runs);
    } catch (const RuntimeError& e) {
      if (!interrupted.load()) throw;
      return stop();
    }
    std::size_t proven = 0;
    for (const auto& o : *optima) proven += o.result.proven ? 1 : 0;
    log::info("experiment", "clairvoyant optimum done",
              {{"runs", optima->size()},
               {"wall_s", std::round(std::chrono::duration<double>(std::chrono::steady_clock::now() - optimum_start)
                                         .count() * 100) / 100},
               {"time_limit_s", x.optimum_time_limit_s},
               {"proven_optimal", proven}});
  }
  const auto* optimum_list = optima ? &*optima : nullptr;

  auto aggregates = experiments::aggregate_runs(x, runs, optimum_list);
  const auto& dir = folder.staging();
  const Performance performance{testbed, dictionary};
  std::string csv = experiments::jobs_csv_header(true);
  for (const auto& r : runs) csv += experiments::jobs_csv_rows(r.jobs, &r.key, &performance);
  write_file_atomically(dir / "jobs.csv", csv);
  std::string energy = experiments::energy_csv_header(true);  // per job, apart: jobs.csv keeps its bytes
  for (const auto& r : runs) energy += experiments::energy_csv_rows(testbed, r.jobs, &r.key);
  write_file_atomically(dir / "energy.csv", energy);
  if (optima) write_file_atomically(dir / "optimum.csv", experiments::optimum_csv(*optima));
  write_file_atomically(dir / "summary.json",
                        experiments::summary_json(x, testbed.name, runs, aggregates, optimum_list).dump(2) + "\n");
  auto markdown = experiments::summary_markdown(x, testbed.name, aggregates, optimum_list);
  write_file_atomically(dir / "summary.md", markdown);
  for (const auto& [name, text] : experiments::figure_files(x, runs, aggregates, optimum_list))
    write_file_atomically(dir / "figures" / name, text);

  std::optional<experiments::PlotResult> plot;
  if (!a.no_figures) plot = experiments::render_figures(dir / "figures");
  // report.html: the tables, a chart per scenario, the settings, and gnuplot's SVG figures when drawn.
  std::vector<experiments::SvgFigure> svgs;
  if (plot && plot->status == experiments::PlotResult::Status::drawn)
    for (const auto& name : experiments::figure_names(x))
      if (name.ends_with(".svg")) {
        std::ifstream in{dir / "figures" / name, std::ios::binary};
        svgs.emplace_back(name, std::string{std::istreambuf_iterator<char>{in}, {}});
      }
  write_file_atomically(dir / "report.html", experiments::report_html(x, testbed.name, aggregates, markdown, svgs));
  if (interrupted.load()) return stop();
  folder.commit();

  fmt::print("{}\n", markdown);
  std::fflush(stdout);
  const auto out = folder.target().string();
  fmt::print(stderr, "experiment: results in {}/ (summary.md, report.html, summary.json, jobs.csv, energy.csv)\n", out);
  if (!plot) {
    fmt::print(stderr, "experiment: figures not drawn (--no-figures); data and scripts in {}/figures/\n", out);
  } else if (plot->status == experiments::PlotResult::Status::drawn) {
    fmt::print(stderr, "experiment: figures in {}/figures/: {}\n", out,
               fmt::join(experiments::figure_names(x), " "));
  } else if (plot->status == experiments::PlotResult::Status::missing) {
    log::warn("experiment", "figures not drawn", {{"reason", plot->message}});
  } else {
    log::error("experiment", "figures failed", {{"error", plot->message}});
    return exit_runtime_failure;
  }
  return exit_ok;
}

}  // namespace

void add_experiment_command(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "experiment", "Run an experiment (scenarios x policies x seeds) and write its tables and figures");
  static ExperimentArgs a;
  cmd->add_option("--config", a.config, "Experiment YAML")->check(CLI::ExistingFile)->capture_default_str();
  cmd->add_option("--out", a.out, "Results folder (default results/<experiment>-<timestamp>); must be new or empty");
  cmd->add_flag("--replace", a.replace, "Replace --out if it holds a previous experiment's results");
  cmd->add_option("--seeds", a.seeds, "Run seeds 1..N instead of the file's")->check(CLI::Range(1, 100000));
  cmd->add_option("--policies", a.policies, "Comma-separated policies instead of the file's")->delimiter(',');
  cmd->add_option("--scenarios", a.scenarios, "Comma-separated scenarios instead of the file's")->delimiter(',');
  cmd->add_option("--jobs", a.jobs, "Jobs per run instead of the file's")->check(CLI::Range(1, 1000000));
  cmd->add_option("--threads", a.threads, "Runs in parallel (default: all cores)")->check(CLI::Range(1, 1024));
  cmd->add_flag("--no-figures", a.no_figures, "Write the figure data and scripts but do not run gnuplot");
  cmd->add_flag("--optimum", a.optimum,
                "Also solve each run's clairvoyant optimum (MILP, CBC) and report every policy's regret");
  cmd->add_option("--optimum-time-limit", a.optimum_time_limit_s,
                  "Seconds per optimum MILP (default: the file's optimum_time_limit_s, else 20)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--late", a.late, "Inevitably late jobs: run | drop (default: the file's, else run)")
      ->check(CLI::IsMember({"run", "drop"}));
  cmd->add_option("--interarrival", a.interarrival,
                  "Mean inter-arrival from q/QPS (inference) or pre-processing + q/QPS (total); default inference")
      ->check(CLI::IsMember({"inference", "total"}));
  cmd->add_option("--srr-queue", a.srr_queue, "SRR: a queue per worker (per-worker) or one strict FCFS queue (global)")
      ->check(CLI::IsMember({"per-worker", "global"}));
  cmd->add_option("--baseline-config", a.baseline_config,
                  "Baselines' fixed configuration: the testbed's baseline_config (testbed) or the default mode "
                  "(default-mode)")
      ->check(CLI::IsMember({"testbed", "default-mode"}));
  cmd->add_option("--energy-margin", a.energy_margin,
                  "synergai-energy: the share of a job's remaining time its configuration must fit in (default: the "
                  "file's, else 0.8)")
      ->check(share_in_zero_to_one());
  set_action(cmd, [] { return experiment_command(a); });
}

}  // namespace synergai::app
