// Running an experiment: every scenario x policy x seed of an experiment file
// in virtual time, on a small pool of threads.
//
// The runs are planned in a fixed order (scenarios as listed, then policies as
// listed, then seeds 1..N) and each result lands at its plan position, so what
// is written never depends on thread timing: the same experiment gives the same
// bytes with 1 thread or 16. Every run builds its own CAF actor system with the
// deterministic test coordinator, so runs share nothing but the (read-only)
// testbed and dictionary.
//
// A run with an anomaly, or one that throws, fails the whole experiment: no
// run is ever dropped silently.
#pragma once

#include "actors/metrics.hpp"
#include "actors/runtime.hpp"
#include "config/dictionary.hpp"
#include "config/energy.hpp"
#include "config/experiment.hpp"
#include "config/testbed.hpp"
#include "experiments/optimum.hpp"
#include "experiments/run_output.hpp"
#include "messages/job.hpp"

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdio>
#include <functional>
#include <map>
#include <vector>

namespace synergai::experiments {

struct RunOutcome {
  RunKey key;
  std::vector<JobRecord> jobs;  // submission order
  Metrics metrics;
  RunEnergy energy;  // the energy bound of its jobs (config/energy.hpp)
};

// The clairvoyant optimum of one (scenario, seed): the same jobs every policy saw.
struct OptimumOutcome {
  std::string scenario;
  std::uint64_t seed = 0;
  OptimumResult result;
};

// Scenario-major, then policy, then seed 1..seeds.
std::vector<RunKey> plan_runs(const config::Experiment& experiment);

// The jobs of every (scenario, seed) of the experiment, drawn as the runs draw
// them. Throws InputError when the experiment's draw is unknown or a job cannot
// be run on the testbed.
std::map<std::pair<std::string, std::uint64_t>, std::vector<JobSpec>> experiment_jobs(
    const config::Experiment& experiment, const config::Testbed& testbed, const config::Dictionary& dictionary);

// The runtime options of one run: the experiment's settings and readings.
RuntimeOptions runtime_options(const config::Experiment& experiment, const RunKey& key);

// The testbed under the experiment's `baseline_config` reading: `testbed`
// keeps each node's baseline_config; `default-mode` gives every node with
// power modes its default mode at that mode's online CPUs as threads (nodes
// without modes keep theirs). Throws InputError for an unknown reading.
config::Testbed with_baseline_reading(const config::Testbed& testbed, const std::string& reading);

struct RunnerOptions {
  unsigned threads = 0;  // 0: all cores (std::thread::hardware_concurrency)
  // Called after each finished run with (done, total), from a worker thread,
  // serialized by the runner.
  std::function<void(std::size_t, std::size_t)> progress;
  // Checked between runs; when it becomes true the runner stops starting runs
  // and throws RuntimeError("interrupted").
  const std::atomic<bool>* cancel = nullptr;
};

// Throws InputError when the experiment's jobs cannot be run on the testbed,
// RuntimeError naming the run (scenario, policy, seed) when a run fails or
// reports an anomaly; with several failures, the first in plan order.
std::vector<RunOutcome> run_experiment(const config::Experiment& experiment, const config::Testbed& testbed,
                                       const config::Dictionary& dictionary, const RunnerOptions& options);

// The clairvoyant optimum of every (scenario, seed), scenarios then seeds.
// `progress` as for run_experiment. With `runs`, each MILP starts from the
// schedule of the run of that scenario and seed with the fewest violations.
std::vector<OptimumOutcome> solve_optima(const config::Experiment& experiment, const config::Testbed& testbed,
                                         const config::Dictionary& dictionary, const RunnerOptions& options,
                                         const std::vector<RunOutcome>* runs = nullptr);

// The on-time jobs of a run, per node in the order they started, as a hint.
ScheduleHint schedule_of(const config::Testbed& testbed, const std::vector<JobRecord>& jobs);

// optimum.csv: per (scenario, seed) the optimum's figures, then one row per
// on-time job of its best schedule (where, in which configuration, when).
std::string optimum_csv(const std::vector<OptimumOutcome>& optima);

unsigned default_threads();

// Progress on a stream: on a terminal, one line rewritten in place
// ("runs 412/840  49%  elapsed 6.1 s  ETA 6.4 s"); otherwise a plain line at
// every further tenth of the runs, and always one at the end.
class ProgressReporter {
 public:
  ProgressReporter(std::FILE* stream, bool terminal);
  void operator()(std::size_t done, std::size_t total);

 private:
  std::FILE* stream_;
  bool terminal_;
  std::chrono::steady_clock::time_point start_;
  std::size_t last_decile_ = 0;
};

}  // namespace synergai::experiments
