// The online phase's actors, built in one place for every driver: runs in
// virtual time and in real time (actors/runtime.hpp) and the cluster
// service's long-lived scheduler (actors/scheduler.hpp). It spawns the
// recorder, the executor, the policy, the urgency actor and one worker per
// node, connects the workers, and shuts them all down together. Arrivals are
// the driver's: an arrival actor for a run, HTTP submissions for the service.
#pragma once

#include "config/performance.hpp"
#include "actors/policies/policy.hpp"
#include "actors/recorder.hpp"
#include "actors/urgency.hpp"
#include "config/dictionary.hpp"
#include "config/testbed.hpp"
#include "messages/protocol.hpp"
#include "messages/timeline.hpp"

#include <caf/actor_system.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
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
  double speedup = 1;               // simulated executor in real time: modelled times divided by it
  LateJobs late_jobs = LateJobs::run;
  bool head_of_line_blocking = false;
  bool trace = false;               // keep the decision log
  PolicyOptions policy_options{};   // readings of the baselines (actors/policies/policy.hpp)
  RoundTimes round_times{};         // each planning round's wall time (actors/urgency.hpp); null: not measured
  // Plan every policy from full snapshots, a deadline_fit one too: the
  // reference its incremental path is tested against (actors/policies/policy.hpp).
  bool plan_by_snapshot = false;
  // Learned profiles (config/learned_profiles.hpp): estimates corrected by the
  // observed times of the runs that succeeded. `learned_profiles` is the store
  // to use (the service's, kept across restarts); none: a fresh one per run.
  bool learning = false;
  config::LearningSettings learning_settings{};
  std::shared_ptr<config::LearnedProfiles> learned_profiles{};
  // Simulated executor: node -> factor on its true execution times (the
  // dictionary stays as profiled).
  std::map<std::string, double, std::less<>> slowdown{};
};

// Makes the executor the workers use; none: the simulated one.
using ExecutorFactory =
    std::function<executor_actor(caf::actor_system&, std::shared_ptr<const Performance>, const Timeline&)>;

class Ensemble {
 public:
  // `log` receives every record, anomaly and trace event (actors/recorder.hpp).
  Ensemble(caf::actor_system& system, const config::Testbed& testbed, const config::Dictionary& dictionary,
           const RuntimeOptions& options, const Timeline& timeline, std::shared_ptr<RunLog> log,
           const ExecutorFactory& make_executor = {});
  ~Ensemble() { shut_down(); }
  Ensemble(const Ensemble&) = delete;
  Ensemble& operator=(const Ensemble&) = delete;

  const urgency_actor& urgency() const { return urgency_; }

  // Tells every actor to exit (idempotent); the caller waits for the system.
  // Job actors of unfinished jobs end with the urgency actor, unreferenced.
  void shut_down();

 private:
  urgency_actor urgency_;
  policy_actor policy_;
  executor_actor executor_;
  recorder_actor recorder_;
  std::vector<worker_actor> workers_;
  bool down_ = false;
};

}  // namespace synergai
