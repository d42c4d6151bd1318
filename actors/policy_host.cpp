#include "actors/policy_host.hpp"

namespace synergai {

policy_actor::behavior_type policy_host(policy_actor::stateful_pointer<PolicyHostState> self,
                                        std::shared_ptr<Policy> policy) {
  self->state.policy = std::move(policy);
  return {
      // The jobs to try now, each with its candidates in preference order.
      [=](plan_atom, const Snapshot& s) { return self->state.policy->plan(s); },
      // A job became plannable (SLO-MAEL maps it now; SRR binds it).
      [=](enqueued_atom, const QueuedJob& job, const Snapshot& s) { self->state.policy->on_arrival(job, s); },
      // A worker is free again (the recency baselines remember when).
      [=](released_atom, const WorkerEvent& e) { self->state.policy->on_release(e); },
  };
}

}  // namespace synergai
