// The long-lived online phase for the cluster service: the same ensemble as
// run_realtime (actors/ensemble.hpp) on CAF's work-stealing scheduler and the
// real clock, without an arrival actor: jobs come one by one through
// submit(), from any thread.
//
// Instants are on a Timeline whose origin is the Unix time read once at start
// (the only wall-clock reading of the online phase), so TimePoint is seconds
// since the epoch and submission instants survive a restart.
#pragma once

#include "actors/recorder.hpp"
#include "actors/runtime.hpp"

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>

#include <functional>
#include <memory>

namespace synergai {

struct SchedulerOptions {
  RuntimeOptions runtime;
  double speedup = 1;  // simulated executor only (RuntimeOptions::speedup)
};

class Scheduler {
 public:
  // Spawns the ensemble; `observer` sees every job record after each
  // transition (on an actor thread: it must not block).
  Scheduler(const config::Testbed& testbed, const config::Dictionary& dictionary, const SchedulerOptions& options,
            ExecutorFactory executor = {}, std::function<void(const JobRecord&)> observer = {});
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Now on the scheduler's timeline (Unix seconds).
  TimePoint now() const;
  // Queues a job; it keeps spec.submitted_at (its waiting time counts from there).
  void submit(const JobSpec& spec);
  // Puts a job that was placed or running before a restart back on `node` in
  // `config` (queued like submit() if that worker is not free).
  void resume(const JobSpec& spec, const std::string& node, const ExecConfig& config);
  // Cancels a job, once: the urgency actor cancels it if it is queued, else
  // hands the request to the worker holding it. A finished job stays as it is.
  void cancel(const std::string& job_id);
  // Stops every actor and waits for them; idempotent.
  void stop();

  caf::actor_system& system() { return *system_; }

 private:
  caf::actor_system_config config_;
  std::unique_ptr<caf::actor_system> system_;
  Timeline timeline_;
  std::shared_ptr<RunLog> log_;
  std::unique_ptr<Ensemble> ensemble_;
  bool stopped_ = false;
};

}  // namespace synergai
