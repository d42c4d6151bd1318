// What the thesis's comparison policies share (reference §6): they take jobs
// first come, first served and run them in each node's predefined baseline
// configuration (the testbed's `baseline_config`), never the dictionary's
// optimum. Helpers for tracking which workers one plan has already handed out.
#pragma once

#include "actors/policies/policy.hpp"

#include <algorithm>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace synergai::baseline {

// The queue in arrival order.
inline std::vector<QueuedJob> fifo(const Snapshot& s) {
  auto q = s.queue;
  std::sort(q.begin(), q.end(), [](const QueuedJob& a, const QueuedJob& b) { return a.sequence < b.sequence; });
  return q;
}

// Throws InputError unless every node has a baseline configuration.
void require_baseline_configs(const Performance& performance, const std::string& policy);

// Workers free in the snapshot and not yet given to an earlier job of the plan.
class FreeWorkers {
 public:
  explicit FreeWorkers(const Snapshot& s) {
    for (const auto& w : s.workers)
      if (w.available) free_.insert(w.node);
  }
  bool is_free(const std::string& node) const { return free_.count(node) > 0; }
  void take(const std::string& node) { free_.erase(node); }
  bool empty() const { return free_.empty(); }

 private:
  std::set<std::string> free_;
};

// The one-candidate plan item that runs `job` on `node` in its baseline
// configuration; empty if that configuration was not profiled for the engine.
std::optional<PlanItem> on_node(const Performance& performance, const QueuedJob& job, const std::string& node);

}  // namespace synergai::baseline
