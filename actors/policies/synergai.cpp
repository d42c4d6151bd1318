// SynergAI (reference §5): jobs in urgency order; each job's candidates are
// the workers that can still meet its deadline in their optimal configuration
// c*, fastest first (Eq. 6.3, 6.4). A job whose acceptable set is empty (its
// violation is inevitable) gets every worker, fastest first, so that it runs
// on the fastest free worker and finishes as early as possible.
#include "actors/policies/policy.hpp"

#include <algorithm>

namespace synergai {
namespace {

class SynergaiPolicy final : public Policy {
 public:
  explicit SynergaiPolicy(std::shared_ptr<const Performance> performance) : performance_{std::move(performance)} {}

  // The urgency actor applies this very rule on its indexes; plan() below is
  // the same rule over a snapshot, for callers that hold one.
  PlanMode mode() const override { return PlanMode::deadline_fit; }

  Plan plan(const Snapshot& snapshot) override {
    Plan plan;
    for (const auto& job : snapshot.queue) {
      auto all = performance_->optimal_candidates(job.spec.engine, job.spec.queries);
      std::vector<Candidate> acceptable;
      std::copy_if(all.begin(), all.end(), std::back_inserter(acceptable),
                   [&](const Candidate& c) { return c.estimate <= job.remaining; });
      plan.push_back(PlanItem{job.spec.id, acceptable.empty() ? std::move(all) : std::move(acceptable)});
    }
    return plan;
  }

 private:
  std::shared_ptr<const Performance> performance_;
};

}  // namespace

std::unique_ptr<Policy> make_synergai_policy(const PolicyContext& context) {
  return std::make_unique<SynergaiPolicy>(context.performance);
}

}  // namespace synergai
