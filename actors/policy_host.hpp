// The policy actor: hosts one Policy plug-in (actors/policies/) and answers
// the urgency actor's plan requests. Keeping policies as plain objects behind
// this actor makes them unit-testable without an actor system.
#pragma once

#include "actors/policies/policy.hpp"
#include "messages/protocol.hpp"

#include <memory>

namespace synergai {

struct PolicyHostState {
  std::shared_ptr<Policy> policy;
  static inline const char* name = "policy";
};

policy_actor::behavior_type policy_host(policy_actor::stateful_pointer<PolicyHostState> self,
                                        std::shared_ptr<Policy> policy);

}  // namespace synergai
