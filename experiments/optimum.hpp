// The clairvoyant optimum of one run: the fewest QoS violations any
// non-preemptive schedule can achieve when every arrival and every execution
// time is known in advance (docs/results.md, "The clairvoyant optimum").
//
// Same testbed, dictionary, jobs, arrival instants and drawn execution times
// as the runtime: each job runs once, on one worker, in one profiled
// configuration, not before its arrival; a worker runs one job at a time and,
// like actors/worker.cpp, switches its power mode when a job starts in another
// mode than the worker's current one (from the node's default mode), which
// occupies the worker for the node's mode_switch_latency before the job runs.
// A job that fails (failure_probability) is a violation wherever it runs.
//
// A late job can always be run after every on-time job of its worker, so the
// problem is: choose the largest set of jobs that can all finish on time. It is
// solved exactly as a MILP with COIN-OR CBC under a time limit; the result
// says whether the optimum is proven or gives the bound and the gap.
#pragma once

#include "config/dictionary.hpp"
#include "config/testbed.hpp"
#include "messages/job.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace synergai::experiments {

// What the simulated executor draws from (executors/simulated/simulated_executor.hpp).
struct DrawnTimes {
  std::uint64_t seed = 1;
  double noise_sigma = 0.05;
  double failure_probability = 0;
};

// The execution time the simulated executor draws for `job` on `node` in
// `config` (mode switch excluded); empty when the dictionary has no point.
std::optional<Seconds> drawn_execution_time(const config::Testbed& testbed, const config::Dictionary& dictionary,
                                            const DrawnTimes& drawn, const JobSpec& job, const std::string& node,
                                            const ExecConfig& config);
// Whether the simulated executor fails `job` (the draw depends on the job only).
bool drawn_failure(const DrawnTimes& drawn, const JobSpec& job);

// One job of a schedule: where, how, and when the worker takes it (`start`,
// before any mode switch) and when it finishes.
struct ScheduledJob {
  std::string id;
  std::string node;
  ExecConfig config;
  bool mode_switch = false;
  double start_s = 0;
  double finish_s = 0;
};

// A schedule to start from, e.g. the best policy run's: per node name, the
// on-time jobs (id, configuration) in the order they ran. Jobs that would not
// be on time in it (once late jobs are left out) are dropped from it.
using ScheduleHint = std::vector<std::pair<std::string, std::vector<std::pair<std::string, ExecConfig>>>>;

struct OptimumOptions {
  double time_limit_s = 20;  // CPU seconds per MILP; CBC stops there with its best solution and bound
  ScheduleHint hint;         // optional starting solution
};

struct OptimumResult {
  std::size_t jobs = 0;
  std::size_t violations = 0;        // of the best schedule found (checked by replaying it)
  std::size_t violations_bound = 0;  // no schedule has fewer
  bool proven = false;               // violations == violations_bound
  std::size_t failing = 0;           // jobs the executor fails wherever they run
  double seconds = 0;                // wall time of the solve
  std::vector<ScheduledJob> on_time; // the best schedule's on-time jobs, per worker in order
  std::size_t gap() const { return violations - violations_bound; }
};

// Throws InputError when a job's engine is unknown.
OptimumResult clairvoyant_optimum(const config::Testbed& testbed, const config::Dictionary& dictionary,
                                  const std::vector<JobSpec>& jobs, const DrawnTimes& drawn,
                                  const OptimumOptions& options = {});

// Replays per-worker sequences the way the runtime executes them (start at
// max(arrival, previous finish), a mode switch when the mode changes) and
// returns how many jobs finish within their QoS. `sequences` holds, per node
// name, the (job index, configuration) pairs in order; `durations[i]` gives
// job i's execution time in that configuration.
struct SequencedJob {
  std::size_t job = 0;
  ExecConfig config;
  double duration_s = 0;
};
std::size_t on_time_jobs(const config::Testbed& testbed, const std::vector<JobSpec>& jobs,
                         const std::vector<std::pair<std::string, std::vector<SequencedJob>>>& sequences,
                         std::vector<ScheduledJob>* schedule = nullptr);

}  // namespace synergai::experiments
