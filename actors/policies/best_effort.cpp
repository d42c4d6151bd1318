// BE, best effort (reference §6), first come first served, baseline
// configurations: workers are ranked once from strongest to weakest and each
// job takes the first free one. Strength = mean QPS over the testbed's engines
// in the node's baseline configuration (ties: testbed order).
#include "actors/policies/baseline.hpp"

namespace synergai {
namespace {

class BestEffort final : public Policy {
 public:
  explicit BestEffort(std::shared_ptr<const Performance> p) : performance_{std::move(p)} {
    for (const auto& n : performance_->testbed().nodes) ranking_.push_back(n.name);
    std::stable_sort(ranking_.begin(), ranking_.end(), [&](const std::string& a, const std::string& b) {
      return performance_->baseline_strength(a) > performance_->baseline_strength(b);
    });
  }

  Plan plan(const Snapshot& s) override {
    Plan plan;
    for (const auto& job : baseline::fifo(s)) {
      PlanItem item{job.spec.id, {}};
      for (const auto& node : ranking_)
        if (auto c = performance_->baseline(job.spec.engine, node, job.spec.queries)) item.candidates.push_back(*c);
      plan.push_back(std::move(item));
    }
    return plan;
  }

 private:
  std::shared_ptr<const Performance> performance_;
  std::vector<std::string> ranking_;
};

}  // namespace

std::unique_ptr<Policy> make_be_policy(const PolicyContext& c) {
  baseline::require_baseline_configs(*c.performance, "be");
  return std::make_unique<BestEffort>(c.performance);
}

}  // namespace synergai
