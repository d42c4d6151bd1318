#include "actors/policies/baseline.hpp"

#include "support/errors.hpp"

#include <fmt/format.h>

namespace synergai::baseline {

void require_baseline_configs(const Performance& performance, const std::string& policy) {
  for (const auto& n : performance.testbed().nodes)
    if (!n.baseline_config)
      throw InputError{fmt::format("policy {} runs jobs in each node's baseline_config, and node {} of testbed {} has "
                                   "none",
                                   policy, n.name, performance.testbed().name)};
}

std::optional<PlanItem> on_node(const Performance& performance, const QueuedJob& job, const std::string& node) {
  auto c = performance.baseline(job.spec.engine, node, job.spec.queries);
  if (!c) return std::nullopt;
  return PlanItem{job.spec.id, {std::move(*c)}};
}

}  // namespace synergai::baseline
