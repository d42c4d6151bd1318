// Running the online phase: builds the actor system (one urgency, one policy,
// one worker per node, an executor, a recorder, an arrival actor), drives it
// to the end, and returns every job record, the decision log and anomalies.
//
// - run_virtual: CAF's deterministic test coordinator; the loop alternates
//   "drain all mailboxes" with "jump to the next timeout" until every job is
//   in a terminal state. Same inputs and seed: identical results.
// - run_realtime: the normal work-stealing scheduler and the real clock; the
//   same actors, waiting until every job is terminal (or a deadline passes).
// Both build the actors with actors/ensemble.hpp and feed them through an
// arrival actor.
#pragma once

#include "actors/ensemble.hpp"

#include <string>
#include <vector>

namespace synergai {

struct RunResult {
  std::vector<JobRecord> jobs;  // in submission order (then id)
  std::vector<TraceEvent> trace;
  std::vector<std::string> anomalies;
};

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
