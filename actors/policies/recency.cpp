// LRU and MRU (reference §6), first come first served, baseline configurations.
// - lru: the free worker that has been idle the longest; a worker that never
//   ran a job counts as idle the longest (ties: testbed order).
// - mru: the free worker that finished a job most recently; workers that never
//   ran one come last (ties: testbed order).
// Idle-since times are the urgency actor's `last_released` of each worker.
#include "actors/policies/baseline.hpp"
#include "actors/policies/plugins.hpp"

namespace synergai {
namespace {

std::unique_ptr<Policy> make_recency(const PolicyContext& context, bool most_recent, const char* name) {
  using namespace framework;
  baseline::require_baseline_configs(*context.performance, name);
  auto policy = compose<ArrivalOrder, BaselineConfig>(context);
  policy->require(std::make_unique<FreeNow>())
      .score(std::make_unique<Recency>(most_recent))
      .assignment(Assignment::one_worker);
  return policy;
}

}  // namespace

std::unique_ptr<Policy> make_lru_policy(const PolicyContext& context) { return make_recency(context, false, "lru"); }
std::unique_ptr<Policy> make_mru_policy(const PolicyContext& context) { return make_recency(context, true, "mru"); }

}  // namespace synergai
