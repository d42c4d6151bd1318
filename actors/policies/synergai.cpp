// SynergAI (reference §5): jobs in urgency order; each job's candidates are
// the workers that can still meet its deadline in their optimal configuration
// c*, fastest first (Eq. 6.3, 6.4). A job whose acceptable set is empty (its
// violation is inevitable) gets every worker, fastest first, so that it runs
// on the fastest free worker and finishes as early as possible: the deadline
// filter is a preference, not a requirement.
//
// The urgency actor carries this very rule out on its own indexes
// (PlanMode::deadline_fit); plan() is the same rule over a snapshot.
#include "actors/policies/plugins.hpp"

namespace synergai {

std::unique_ptr<Policy> make_synergai_policy(const PolicyContext& context) {
  using namespace framework;
  auto policy = compose<UrgencyOrder, OptimalConfig>(context);
  policy->prefer(std::make_unique<MeetsDeadline>()).score(std::make_unique<Fastest>()).fits_deadlines();
  return policy;
}

}  // namespace synergai
