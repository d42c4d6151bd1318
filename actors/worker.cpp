#include "actors/worker.hpp"

#include <fmt/format.h>

namespace synergai {
namespace {

using Phase = WorkerState::Phase;

TimePoint now(worker_actor::stateful_pointer<WorkerState> self) { return self->state.config.timeline.at(self->clock().now()); }

void anomaly(worker_actor::stateful_pointer<WorkerState> self, std::string what) {
  self->send(self->state.recorder, anomaly_atom::value,
             fmt::format("worker {}: {}", self->state.config.node.name, what));
}

void transit(worker_actor::stateful_pointer<WorkerState> self, JobState to, TimePoint at, std::string message = {}) {
  self->send(self->state.job, transit_atom::value, Transition{to, at, {}, std::nullopt, std::move(message)});
}

void release(worker_actor::stateful_pointer<WorkerState> self, TimePoint at, bool ran) {
  auto& s = self->state;
  s.phase = Phase::idle;
  s.executing = false;
  s.cancel_requested = false;
  self->send(s.urgency, released_atom::value, WorkerEvent{s.config.node.name, s.job_id, at, ran});
  s.job_id.clear();
  s.job = nullptr;
  s.placement.reset();
  s.started_at.reset();
}

// Learning: a successful run's time refines the profile of its engine on
// this node in its configuration.
void learn(worker_actor::stateful_pointer<WorkerState> self, const ExecutionOutcome& outcome) {
  const auto& s = self->state;
  if (!s.config.learning || outcome.outcome != Outcome::succeeded || !s.placement || !s.started_at) return;
  const auto& job = s.placement->job;
  const Seconds observed = (outcome.finished_at - *s.started_at) * s.config.time_scale;
  s.config.learning->observe(job.engine, s.config.node.name, s.placement->config, job.queries, observed);
}

// Runs the held job, unless it was cancelled before it could run.
void run(worker_actor::stateful_pointer<WorkerState> self, const Placement& p) {
  auto& s = self->state;
  if (s.cancel_requested) {
    auto at = now(self);
    transit(self, JobState::cancelled, at, "cancelled by request");
    return release(self, at, true);
  }
  s.executing = true;
  self->send(self->state.executor, run_atom::value, RunRequest{p.job, self->state.config.node.name, p.config},
             caf::actor_cast<execution_listener>(self));
}

}  // namespace

worker_actor::behavior_type worker(worker_actor::stateful_pointer<WorkerState> self, WorkerConfig config,
                                   executor_actor executor, urgency_actor urgency, recorder_actor recorder,
                                   bool tracing) {
  auto& s = self->state;
  s.config = std::move(config);
  s.executor = std::move(executor);
  s.urgency = std::move(urgency);
  s.recorder = recorder;
  s.trace = Tracer{recorder, tracing, "worker:" + s.config.node.name};
  s.current_mode = s.config.node.default_mode;
  return {
      // Granted only when idle; the grant expires unless a start follows.
      [=](reserve_atom, const std::string& job_id) {
        auto& s = self->state;
        bool granted = s.phase == Phase::idle;
        if (granted) {
          s.phase = Phase::reserved;
          s.job_id = job_id;
          auto token = ++s.reservation;
          self->delayed_send(self, Timeline::span(s.config.reservation_ttl), expire_atom::value, token);
        }
        return granted;
      },
      // The grant `token` ends if no start came: the worker is free again.
      [=](expire_atom, std::uint64_t token) {
        auto& s = self->state;
        if (s.phase != Phase::reserved || token != s.reservation) return;  // started meanwhile
        s.trace(self, now(self), "reservation_expired", [&] { return nlohmann::json{{"job", s.job_id}}; });
        release(self, now(self), false);
      },
      // Runs the reserved job, switching the power mode first if it needs another.
      [=](start_atom, Placement p, job_actor job) {
        auto& s = self->state;
        auto at = now(self);
        if (s.phase != Phase::reserved || s.job_id != p.job.id) {
          anomaly(self, fmt::format("start of {} without its reservation", p.job.id));
          self->send(job, transit_atom::value,
                     Transition{JobState::queued, at, {}, std::nullopt, "worker was not reserved for it"});
          return;
        }
        s.phase = Phase::busy;
        s.job = std::move(job);
        if (s.config.learning) s.placement = p;
        transit(self, JobState::starting, at);
        auto mode = p.config.mode;
        if (!mode || mode == s.current_mode) {
          run(self, p);
          return;
        }
        s.trace(self, at, "mode_switch", [&] {
          return nlohmann::json{{"job", p.job.id},
                                {"from", s.current_mode ? nlohmann::json(*s.current_mode) : nlohmann::json(nullptr)},
                                {"to", *mode}};
        });
        self->request(s.executor, caf::infinite, mode_atom::value, s.config.node.name, *mode)
            .then(
                [=](int applied) {
                  self->state.current_mode = applied;
                  run(self, p);
                },
                [=](caf::error& err) {
                  auto at = now(self);
                  transit(self, JobState::failed, at,
                          fmt::format("power mode {} could not be applied: {}", *mode, self->system().render(err)));
                  release(self, at, true);
                });
      },
      // Once executing, the executor ends the run as cancelled; before (a power
      // mode being applied), the job is cancelled instead of run.
      [=](cancel_atom, const std::string& job_id) {
        auto& s = self->state;
        if (s.phase == Phase::idle || s.job_id != job_id || s.cancel_requested) return;  // ended meanwhile
        s.cancel_requested = true;
        if (s.executing) self->send(s.executor, cancel_atom::value, job_id);
      },
      // The executor began the run: the job is running.
      [=](started_atom, const std::string& job_id, TimePoint at) {
        if (self->state.phase != Phase::busy || job_id != self->state.job_id) {
          anomaly(self, fmt::format("start report for {}, which it is not running", job_id));
          return;
        }
        self->state.started_at = at;
        transit(self, JobState::running, at);
      },
      // The run ended: the job takes its outcome and the worker is free.
      [=](finished_atom, ExecutionOutcome outcome) {
        if (self->state.phase != Phase::busy || outcome.job_id != self->state.job_id) {
          anomaly(self, fmt::format("finish report for {}, which it is not running", outcome.job_id));
          return;
        }
        JobState to = outcome.outcome == Outcome::succeeded ? JobState::succeeded
                      : outcome.outcome == Outcome::failed  ? JobState::failed
                                                            : JobState::cancelled;
        learn(self, outcome);
        transit(self, to, outcome.finished_at, outcome.message);
        release(self, outcome.finished_at, true);
      },
  };
}

}  // namespace synergai
