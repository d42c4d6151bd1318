// LRU and MRU (reference §6), first come first served, baseline configurations.
// - lru: the free worker that has been idle the longest; a worker that never
//   ran a job counts as idle the longest (ties: testbed order).
// - mru: the free worker that finished a job most recently; workers that never
//   ran one come last (ties: testbed order).
// Idle-since times are the urgency actor's `last_released` of each worker.
#include "actors/policies/baseline.hpp"

namespace synergai {
namespace {

class Recency final : public Policy {
 public:
  Recency(std::shared_ptr<const Performance> p, bool most_recent) : performance_{std::move(p)}, mru_{most_recent} {}

  Plan plan(const Snapshot& s) override {
    // Workers in preference order, once per plan.
    std::vector<const WorkerView*> order;
    for (const auto& w : s.workers) order.push_back(&w);
    std::stable_sort(order.begin(), order.end(), [&](const WorkerView* a, const WorkerView* b) {
      if (a->last_released.has_value() != b->last_released.has_value())
        return mru_ ? a->last_released.has_value() : !a->last_released.has_value();
      if (!a->last_released) return false;
      return mru_ ? *a->last_released > *b->last_released : *a->last_released < *b->last_released;
    });
    Plan plan;
    baseline::FreeWorkers free{s};
    for (const auto& job : baseline::fifo(s)) {
      for (const auto* w : order) {
        if (!free.is_free(w->node)) continue;
        if (auto item = baseline::on_node(*performance_, job, w->node)) {
          free.take(w->node);
          plan.push_back(std::move(*item));
          break;
        }
      }
    }
    return plan;
  }

 private:
  std::shared_ptr<const Performance> performance_;
  bool mru_;
};

}  // namespace

std::unique_ptr<Policy> make_lru_policy(const PolicyContext& c) {
  baseline::require_baseline_configs(*c.performance, "lru");
  return std::make_unique<Recency>(c.performance, false);
}

std::unique_ptr<Policy> make_mru_policy(const PolicyContext& c) {
  baseline::require_baseline_configs(*c.performance, "mru");
  return std::make_unique<Recency>(c.performance, true);
}

}  // namespace synergai
