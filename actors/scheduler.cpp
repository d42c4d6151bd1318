#include "actors/scheduler.hpp"

#include <caf/send.hpp>

namespace synergai {

Scheduler::Scheduler(const config::Testbed& testbed, const config::Dictionary& dictionary,
                     const SchedulerOptions& options, ExecutorFactory executor,
                     std::function<void(const JobRecord&)> observer) {
  check_jobs(testbed, dictionary, {});
  config_.set("logger.verbosity", caf::atom("quiet"));
  config_.set("logger.console", caf::atom("none"));
  system_ = std::make_unique<caf::actor_system>(config_);
  timeline_ = Timeline::unix_time(system_->clock().now());
  log_ = std::make_shared<RunLog>();
  log_->on_record = std::move(observer);
  auto runtime = options.runtime;
  runtime.speedup = options.speedup;
  ensemble_ = std::make_unique<Ensemble>(*system_, testbed, dictionary, runtime, timeline_, log_, executor);
}

Scheduler::~Scheduler() { stop(); }

TimePoint Scheduler::now() const { return timeline_.at(system_->clock().now()); }

void Scheduler::submit(const JobSpec& spec) { caf::anon_send(ensemble_->urgency(), submit_atom::value, spec); }

void Scheduler::resume(const JobSpec& spec, const std::string& node, const ExecConfig& config) {
  caf::anon_send(ensemble_->urgency(), resume_atom::value, spec, Candidate{node, config, {}});
}

void Scheduler::cancel(const std::string& job_id) { caf::anon_send(ensemble_->urgency(), cancel_atom::value, job_id); }

void Scheduler::stop() {
  if (stopped_) return;
  stopped_ = true;
  ensemble_->shut_down();
  system_->await_all_actors_done();
  log_->on_record = nullptr;
}

}  // namespace synergai
