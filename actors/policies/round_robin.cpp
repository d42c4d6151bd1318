// RR and SRR (reference §6), first come first served, baseline configurations.
// - rr: workers in a fixed circular order (the testbed's); each job goes to the
//   next worker of the cycle that is free, skipping busy ones.
// - srr: each job is bound, when it arrives, to the next worker of the cycle
//   and waits for exactly that worker, even while others are idle. By default
//   each worker has its own queue: a job whose worker is busy does not hold
//   back later jobs bound to other workers. With PolicyOptions::srr_global_queue
//   the queue is one strict first-come-first-served line: nothing overtakes a
//   job waiting for its worker.
#include "actors/policies/baseline.hpp"
#include "actors/policies/plugins.hpp"

namespace synergai {

std::unique_ptr<Policy> make_rr_policy(const PolicyContext& context) {
  using namespace framework;
  baseline::require_baseline_configs(*context.performance, "rr");
  auto policy = compose<ArrivalOrder, BaselineConfig>(context);
  policy->require(std::make_unique<FreeNow>())
      .score(std::make_unique<CycleFromCursor>(*context.performance))
      .assignment(Assignment::one_worker);
  return policy;
}

std::unique_ptr<Policy> make_srr_policy(const PolicyContext& context) {
  using namespace framework;
  baseline::require_baseline_configs(*context.performance, "srr");
  auto policy = compose<ArrivalOrder, BaselineConfig>(context);
  policy->require(std::make_unique<BoundWorker>(*context.performance))
      .require(std::make_unique<FreeNow>())
      .assignment(Assignment::one_worker)
      .no_fit(context.options.srr_global_queue ? NoFit::stop : NoFit::wait);
  return policy;
}

}  // namespace synergai
