// What the thesis's comparison policies share (reference §6): they take jobs
// first come, first served and run them in each node's predefined baseline
// configuration (the testbed's `baseline_config`), never the dictionary's
// optimum (framework::ArrivalOrder and framework::BaselineConfig).
#pragma once

#include "actors/policies/policy.hpp"

#include <optional>
#include <string>

namespace synergai::baseline {

// Throws InputError unless every node has a baseline configuration.
void require_baseline_configs(const Performance& performance, const std::string& policy);

// The one-candidate plan item that runs `job` on `node` in its baseline
// configuration; empty if that configuration was not profiled for the engine.
std::optional<PlanItem> on_node(const Performance& performance, const QueuedJob& job, const std::string& node);

}  // namespace synergai::baseline
