// A testbed: the cluster's worker nodes and the inference engines it serves,
// loaded from YAML and validated (see docs/configuration.md for the format).
#pragma once

#include "config/document.hpp"
#include "messages/engine.hpp"
#include "messages/node.hpp"

#include <filesystem>
#include <functional>
#include <map>
#include <optional>
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
  // Nodes declared together by one entry with `replicas: N` are one kind of
  // hardware, profiled once under the entry's name: node name -> that name.
  // A node not listed here is profiled under its own name.
  std::map<std::string, std::string, std::less<>> replica_of;

  const NodeSpec* find_node(std::string_view name) const;
  // The name the dictionary knows `node`'s hardware by.
  std::string_view profile_of(std::string_view node) const;
  // One node per profile, named by the profile, in testbed order: what the
  // offline phase profiles and the dictionary describes.
  std::vector<NodeSpec> profiles() const;
  // The node spec behind a profile name (for a replicated entry, its first
  // replica's, renamed); null if the testbed has no such profile.
  std::optional<NodeSpec> find_profile(std::string_view profile) const;
  const EngineSpec* find_engine(std::string_view id) const;
  // Whether `c` is one of the configurations `node` can run.
  static bool supports(const NodeSpec& node, const ExecConfig& c);
};

// `count` nodes of one kind: `node` named <name>-1 .. <name>-count, each on
// Kubernetes node <kubernetes_node>-i, appended to the testbed and profiled
// under `node.name` (what a `replicas` entry reads as).
void add_replicas(Testbed& testbed, const NodeSpec& node, int count);

Testbed load_testbed(const std::filesystem::path& path);  // throws ValidationError
Testbed read_testbed(const Document& doc);                // throws ValidationError

}  // namespace synergai::config
