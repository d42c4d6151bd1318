#include "actors/ensemble.hpp"

#include "actors/policy_host.hpp"
#include "executors/simulated/simulated_executor.hpp"
#include "actors/worker.hpp"

#include <caf/send.hpp>

namespace synergai {

Ensemble::Ensemble(caf::actor_system& system, const config::Testbed& testbed, const config::Dictionary& dictionary,
                   const RuntimeOptions& options, const Timeline& timeline, std::shared_ptr<RunLog> log,
                   const ExecutorFactory& make_executor) {
  std::shared_ptr<config::LearnedProfiles> learned;
  if (options.learning)
    learned = options.learned_profiles ? options.learned_profiles
                                       : std::make_shared<config::LearnedProfiles>(options.learning_settings);
  auto performance = std::make_shared<const Performance>(testbed, dictionary, learned);
  auto policy = std::shared_ptr<Policy>{make_policy(options.policy, PolicyContext{performance, options.policy_options})};
  recorder_ = system.spawn(recorder, std::move(log));
  if (make_executor) {
    executor_ = make_executor(system, performance, timeline);
  } else {
    SimulationConfig sim{options.seed,     options.noise_sigma, options.failure_probability,
                         timeline,         options.speedup,     options.slowdown};
    executor_ = executor_actor{system.spawn(simulated_executor, sim, performance)};
  }
  UrgencyConfig uc{options.tick, options.late_jobs, options.head_of_line_blocking, timeline, options.round_times,
                   options.plan_by_snapshot ? PlanMode::snapshot : policy->mode()};
  policy_ = system.spawn(policy_host, std::move(policy));
  urgency_ = system.spawn(synergai::urgency, uc, performance, policy_, recorder_, options.trace);
  // Learning: workers report each successful run's time, on the modelled
  // scale (the simulated executor in real time runs `speedup` times faster).
  const double time_scale = make_executor ? 1 : options.speedup;
  for (const auto& node : testbed.nodes)
    workers_.push_back(system.spawn(worker,
                                    WorkerConfig{node, options.reservation_ttl, timeline,
                                                 learned ? performance : nullptr, time_scale},
                                    executor_, urgency_, recorder_, options.trace));
  caf::anon_send(urgency_, connect_atom::value, workers_);
}

void Ensemble::shut_down() {
  if (down_) return;
  down_ = true;
  for (auto& w : workers_) caf::anon_send_exit(w, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(urgency_, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(policy_, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(executor_, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(recorder_, caf::exit_reason::user_shutdown);
}

}  // namespace synergai
