// An experiment file: which scenarios to run with which policies and seeds on
// which testbed and dictionary (docs/configuration.md; experiments/paper.yaml).
#pragma once

#include "config/document.hpp"
#include "config/learned_profiles.hpp"
#include "messages/time.hpp"

#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace synergai::config {

// The thesis's four experiments: demand (DL low, DH high) x arrival frequency (FL, FH).
inline const std::vector<std::string> scenario_names{"DL-FL", "DL-FH", "DH-FL", "DH-FH"};

struct Experiment {
  std::string name;
  std::filesystem::path testbed;     // resolved against the experiment file's folder
  std::filesystem::path dictionary;  // likewise
  std::vector<std::string> scenarios;
  std::vector<std::string> policies;
  int seeds = 0;                     // runs use seeds 1..seeds
  int jobs = 0;                      // jobs per run
  std::string draw = "uniform";      // how a run's jobs are drawn: uniform | balanced (optional field)
  double noise_sigma = 0;            // log-normal sigma of execution-time noise
  double failure_probability = 0;    // chance that an execution fails
  Seconds tick{};                    // urgency re-evaluation period
  // Readings the thesis leaves open (docs/results.md "Readings"); each default
  // keeps the scheduling of the original implementation.
  std::string late = "run";                // inevitably late jobs: run | drop
  std::string interarrival = "inference";  // mean inter-arrival from q/QPS (inference) | pre + q/QPS (total)
  std::string srr_queue = "per-worker";    // SRR: per-worker | global (strict first come, first served)
  std::string baseline_config = "testbed"; // baselines' configuration: testbed | default-mode
  // synergai-energy: a configuration is chosen for its energy only when its
  // estimate fits in this share of the job's remaining time, (0, 1].
  double energy_margin = 0.8;
  // The clairvoyant optimum (experiments/optimum.hpp), when asked for.
  bool optimum = false;
  double optimum_time_limit_s = 20;        // per MILP
  // Learned profiles (config/learned_profiles.hpp): off by default, as the thesis.
  bool learning = false;
  LearningSettings learning_settings{};
  // Learned profiles every run starts from (a file as the service writes it);
  // empty: each run starts with nothing learned.
  std::filesystem::path learned_profiles;
  // Simulated drift: node -> factor on its true execution times (the
  // dictionary stays as profiled); names are checked against the testbed by
  // the runner.
  std::map<std::string, double, std::less<>> slowdown;
};

// `known_policies` is the registry's list of names (the config layer does not
// know the policies). Throws ValidationError.
Experiment read_experiment(const Document& doc, const std::filesystem::path& base_dir,
                           const std::set<std::string>& known_policies);
Experiment load_experiment(const std::filesystem::path& path, const std::set<std::string>& known_policies);

}  // namespace synergai::config
