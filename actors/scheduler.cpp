#include "actors/scheduler.hpp"

#include "actors/policies/policy.hpp"
#include "actors/policy_host.hpp"
#include "actors/simulated_executor.hpp"
#include "actors/worker.hpp"

#include <caf/send.hpp>

namespace synergai {

Scheduler::Scheduler(const config::Testbed& testbed, const config::Dictionary& dictionary,
                     const SchedulerOptions& options, ExecutorFactory executor,
                     std::function<void(const JobRecord&)> observer) {
  check_jobs(testbed, dictionary, {});
  config_.set("logger.verbosity", caf::atom("quiet"));
  config_.set("logger.console", caf::atom("none"));
  system_ = std::make_unique<caf::actor_system>(config_);
  auto& sys = *system_;
  auto unix_now = std::chrono::duration_cast<Seconds>(std::chrono::system_clock::now().time_since_epoch());
  timeline_ = Timeline{sys.clock().now(), TimePoint{unix_now}};
  log_ = std::make_shared<RunLog>();
  log_->on_record = std::move(observer);
  log_->forget_finished = true;  // the observer keeps what the service retains

  const auto& o = options.runtime;
  auto performance = std::make_shared<const Performance>(testbed, dictionary);
  auto policy = std::shared_ptr<Policy>{make_policy(o.policy, PolicyContext{performance})};
  recorder_ = sys.spawn(recorder, log_);
  if (executor) {
    executor_ = executor(sys, performance, timeline_);
  } else {
    SimulationConfig sim{o.seed, o.noise_sigma, o.failure_probability, timeline_, options.speedup};
    executor_ = executor_actor{sys.spawn(simulated_executor, sim, performance)};
  }
  UrgencyConfig uc{o.tick, o.late_jobs, o.head_of_line_blocking, timeline_, {}, policy->mode()};
  policy_ = sys.spawn(policy_host, std::move(policy));
  urgency_ = sys.spawn(urgency, uc, performance, policy_, recorder_, o.trace);
  for (const auto& node : testbed.nodes)
    workers_.push_back(sys.spawn(worker, WorkerConfig{node, o.reservation_ttl, timeline_}, executor_, urgency_,
                                 recorder_, o.trace));
  caf::anon_send(urgency_, connect_atom::value, workers_);
}

Scheduler::~Scheduler() { stop(); }

TimePoint Scheduler::now() const { return timeline_.at(system_->clock().now()); }

void Scheduler::submit(const JobSpec& spec) { caf::anon_send(urgency_, resubmit_atom::value, spec); }

void Scheduler::resume(const JobSpec& spec, const std::string& node, const ExecConfig& config) {
  caf::anon_send(urgency_, resume_atom::value, spec, Candidate{node, config, {}});
}

void Scheduler::cancel_queued(const std::string& job_id) { caf::anon_send(urgency_, cancel_atom::value, job_id); }

void Scheduler::cancel_running(const std::string& job_id) { caf::anon_send(executor_, cancel_atom::value, job_id); }

void Scheduler::stop() {
  if (stopped_) return;
  stopped_ = true;
  for (auto& w : workers_) caf::anon_send_exit(w, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(urgency_, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(policy_, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(executor_, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(recorder_, caf::exit_reason::user_shutdown);
  system_->await_all_actors_done();
  log_->on_record = nullptr;
}

}  // namespace synergai
