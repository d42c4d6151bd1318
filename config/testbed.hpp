// A testbed: the cluster's worker nodes and the inference engines it serves,
// loaded from YAML and validated (see docs/configuration.md for the format).
#pragma once

#include "config/document.hpp"
#include "messages/engine.hpp"
#include "messages/node.hpp"

#include <filesystem>
#include <string>
#include <vector>

namespace synergai::config {

struct Testbed {
  std::string name;
  std::string description;
  std::vector<NodeSpec> nodes;
  std::vector<EngineSpec> engines;
  // Optional: the file holding the testbed's performance model (profiling/
  // performance_model.hpp), resolved relative to the testbed file; empty if none.
  std::filesystem::path performance_model;

  const NodeSpec* find_node(std::string_view name) const;
  const EngineSpec* find_engine(std::string_view id) const;
  // Whether `c` is one of the configurations `node` can run.
  static bool supports(const NodeSpec& node, const ExecConfig& c);
};

Testbed load_testbed(const std::filesystem::path& path);  // throws ValidationError
Testbed read_testbed(const Document& doc);                // throws ValidationError

}  // namespace synergai::config
