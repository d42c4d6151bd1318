// synergai-plus: SynergAI with three changes, each a plugin, measured on the
// thesis scenarios (docs/results.md, "synergai-plus"):
// - earliest deadline first among the jobs that can still meet theirs
//   (DeadlineOrder) instead of least slack;
// - a job does not take a free worker when a busy one would finish it in time
//   in under half the time, counting when it frees up (WaitForFaster): the
//   fastest worker is often a few seconds from free, and the slow one then
//   stays free for the next arrival;
// - a job that can meet its deadline nowhere runs on the slowest free worker
//   when on-time arrivals are expected during its run (LateJobLookahead),
//   rather than taking the fastest worker from them.
// Everything else is SynergAI: c* on every worker, the workers that meet the
// deadline fastest first, and every worker when none does.
#include "actors/policies/plugins.hpp"

namespace synergai {

std::unique_ptr<Policy> make_synergai_plus_policy(const PolicyContext& context) {
  using namespace framework;
  auto policy = compose<DeadlineOrder, OptimalConfig>(context);
  policy->require(std::make_unique<WaitForFaster>(0.5))
      .prefer(std::make_unique<MeetsDeadline>())
      .score(std::make_unique<LateJobLookahead>(0.5))
      .score(std::make_unique<Fastest>());
  return policy;
}

}  // namespace synergai
