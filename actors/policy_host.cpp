#include "actors/policy_host.hpp"

namespace synergai {

policy_actor::behavior_type policy_host(policy_actor::stateful_pointer<PolicyHostState> self,
                                        std::shared_ptr<Policy> policy) {
  self->state.policy = std::move(policy);
  return {
      [=](plan_atom, const Snapshot& s) { return self->state.policy->plan(s); },
      [=](submit_atom, const QueuedJob& job, const Snapshot& s) { self->state.policy->on_arrival(job, s); },
      [=](released_atom, const WorkerEvent& e) { self->state.policy->on_release(e); },
  };
}

}  // namespace synergai
