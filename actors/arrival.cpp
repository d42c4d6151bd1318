#include "actors/arrival.hpp"

#include <caf/send.hpp>

namespace synergai {

caf::behavior arrival(caf::event_based_actor* self, std::vector<JobSpec> jobs, urgency_actor urgency,
                      Timeline timeline) {
  const auto clock_now = self->clock().now();
  auto start = timeline.at(clock_now);
  for (auto& job : jobs) {
    auto delay = Timeline::span(job.submitted_at - start);
    // The instant the message is due, on the actor clock: what the urgency
    // actor's clock reads when it arrives in virtual time.
    job.submitted_at = timeline.at(clock_now + delay);
    if (delay.count() == 0) self->send(urgency, submit_atom::value, std::move(job));
    else caf::delayed_anon_send(urgency, delay, submit_atom::value, std::move(job));  // outlives this actor
  }
  self->quit();
  return {};
}

}  // namespace synergai
