// Running the online phase: builds the actor system (one urgency, one policy,
// one worker per node, an executor, a recorder, an arrival actor), drives it
// to the end, and returns every job record, the decision log and anomalies.
//
// - run_virtual: CAF's deterministic test coordinator; the loop alternates
//   "drain all mailboxes" with "jump to the next timeout" until every job is
//   in a terminal state. Same inputs and seed: identical results.
// - run_realtime: the normal work-stealing scheduler and the real clock; the
//   same actors, waiting until every job is terminal (or a deadline passes).
#pragma once

#include "actors/performance.hpp"
#include "actors/policies/policy.hpp"
#include "actors/recorder.hpp"
#include "actors/timeline.hpp"
#include "actors/urgency.hpp"
#include "config/dictionary.hpp"
#include "config/testbed.hpp"
#include "messages/runtime.hpp"

#include <caf/actor_system.hpp>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace synergai {

struct RuntimeOptions {
  std::string policy = "synergai";
  std::uint64_t seed = 1;
  Seconds tick{1};                  // urgency re-evaluation period
  Seconds reservation_ttl{5};       // a grant not followed by a start expires
  double noise_sigma = 0.05;        // simulated executor: log-normal sigma
  double failure_probability = 0;   // simulated executor
  LateJobs late_jobs = LateJobs::run;
  bool head_of_line_blocking = false;
  bool trace = false;               // keep the decision log
  PolicyOptions policy_options{};   // readings of the baselines (actors/policies/policy.hpp)
  RoundTimes round_times{};         // benchmarks: each planning round's wall time (actors/urgency.hpp)
  // Plan every policy from full snapshots, a deadline_fit one too: the
  // reference its incremental path is tested against (actors/policies/policy.hpp).
  bool plan_by_snapshot = false;
};

struct RunResult {
  std::vector<JobRecord> jobs;  // in submission order (then id)
  std::vector<TraceEvent> trace;
  std::vector<std::string> anomalies;
};

// Makes the executor the workers use; the default is the simulated one.
using ExecutorFactory =
    std::function<executor_actor(caf::actor_system&, std::shared_ptr<const Performance>, const Timeline&)>;

// Checks that every job can be run: known engine, profiled on some node, a
// positive query count and QoS. Throws InputError listing every problem.
void check_jobs(const config::Testbed& testbed, const config::Dictionary& dictionary,
                const std::vector<JobSpec>& jobs);

RunResult run_virtual(const config::Testbed& testbed, const config::Dictionary& dictionary,
                      std::vector<JobSpec> jobs, const RuntimeOptions& options);

RunResult run_realtime(const config::Testbed& testbed, const config::Dictionary& dictionary,
                       std::vector<JobSpec> jobs, const RuntimeOptions& options, Seconds time_limit,
                       ExecutorFactory executor = {});

nlohmann::json to_json(const TraceEvent& e);

}  // namespace synergai
