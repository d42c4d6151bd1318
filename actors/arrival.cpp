#include "actors/arrival.hpp"

#include <caf/send.hpp>

namespace synergai {

caf::behavior arrival(caf::event_based_actor* self, std::vector<JobSpec> jobs, urgency_actor urgency,
                      Timeline timeline) {
  auto start = timeline.at(self->clock().now());
  for (auto& job : jobs) {
    auto delay = Timeline::span(job.submitted_at - start);
    if (delay.count() == 0) self->send(urgency, submit_atom::value, std::move(job));
    else caf::delayed_anon_send(urgency, delay, submit_atom::value, std::move(job));  // outlives this actor
  }
  self->quit();
  return {};
}

}  // namespace synergai
