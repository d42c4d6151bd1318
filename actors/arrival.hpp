// The arrival actor: submits a prepared list of jobs to the urgency actor at
// their submission instants (a scenario's Poisson process or a replayed
// arrivals file, both made by experiments/scenario.hpp).
#pragma once

#include "messages/timeline.hpp"
#include "messages/protocol.hpp"

#include <caf/event_based_actor.hpp>

#include <vector>

namespace synergai {

caf::behavior arrival(caf::event_based_actor* self, std::vector<JobSpec> jobs, urgency_actor urgency,
                      Timeline timeline);

}  // namespace synergai
