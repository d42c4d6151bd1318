// BE, best effort (reference §6), first come first served, baseline
// configurations: every job is offered every worker from strongest to weakest
// and takes the first free one. Strength = mean QPS over the testbed's engines
// in the node's baseline configuration (ties: testbed order).
#include "actors/policies/baseline.hpp"
#include "actors/policies/plugins.hpp"

namespace synergai {

std::unique_ptr<Policy> make_be_policy(const PolicyContext& context) {
  using namespace framework;
  baseline::require_baseline_configs(*context.performance, "be");
  auto policy = compose<ArrivalOrder, BaselineConfig>(context);
  policy->score(std::make_unique<Strongest>());
  return policy;
}

}  // namespace synergai
