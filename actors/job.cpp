#include "actors/job.hpp"

#include <fmt/format.h>

namespace synergai {
namespace {

void apply(JobRecord& r, const Transition& t) {
  switch (t.to) {
    case JobState::queued:  // a placement fell through: back to the queue
      r.node.clear();
      r.config.reset();
      r.placed_at.reset();
      break;
    case JobState::placed:
      r.node = t.node;
      r.config = t.config;
      r.placed_at = t.at;
      break;
    case JobState::starting:
      break;
    case JobState::running:
      r.started_at = t.at;
      break;
    case JobState::succeeded:
    case JobState::failed:
    case JobState::cancelled:
      r.finished_at = t.at;
      break;
  }
  r.state = t.to;
  r.message = t.message;
}

}  // namespace

job_actor::behavior_type job(job_actor::stateful_pointer<JobActorState> self, JobSpec spec,
                             recorder_actor recorder) {
  self->state.record.spec = std::move(spec);
  self->state.recorder = std::move(recorder);
  self->send(self->state.recorder, record_atom::value, self->state.record);
  return {
      // Applies a legal change and records it; an illegal one becomes an anomaly.
      [=](transit_atom, Transition t) {
        auto& r = self->state.record;
        if (!is_legal_transition(r.state, t.to)) {
          self->send(self->state.recorder, anomaly_atom::value,
                     fmt::format("job {}: illegal transition {} -> {}", r.spec.id, r.state, t.to));
          return;
        }
        apply(r, t);
        self->send(self->state.recorder, record_atom::value, r);
        if (is_terminal(r.state)) self->quit();
      },
  };
}

}  // namespace synergai
