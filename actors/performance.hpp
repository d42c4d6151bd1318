// What the online phase knows about performance, read from the configuration
// dictionary: estimated execution times (Eq. 6.2) of an engine on a node in a
// configuration, the optimal configuration c* per (engine, node), and the
// node's predefined baseline configuration.
#pragma once

#include "config/dictionary.hpp"
#include "config/testbed.hpp"
#include "messages/runtime.hpp"

#include <optional>
#include <string_view>
#include <vector>

namespace synergai {

class Performance {
 public:
  // Both must outlive this object.
  Performance(const config::Testbed& testbed, const config::Dictionary& dictionary);

  const config::Testbed& testbed() const { return *testbed_; }
  const config::Dictionary& dictionary() const { return *dictionary_; }

  // T_estimated = pre-processing + q / QPS of `config`; empty if not profiled.
  std::optional<Seconds> estimate(std::string_view engine, std::string_view node, const ExecConfig& config,
                                  int queries) const;
  // c*(engine, node) with its estimate; empty if the pair was never profiled.
  std::optional<Candidate> optimal(std::string_view engine, std::string_view node, int queries) const;
  // The node's baseline configuration with its estimate; empty if the node has
  // none or it was not profiled for the engine.
  std::optional<Candidate> baseline(std::string_view engine, std::string_view node, int queries) const;
  // c* on every worker that profiled the engine, fastest first (ties: testbed order).
  std::vector<Candidate> optimal_candidates(std::string_view engine, int queries) const;
  // Mean QPS over all engines in each node's baseline configuration.
  double baseline_strength(std::string_view node) const;

 private:
  const config::Testbed* testbed_;
  const config::Dictionary* dictionary_;
};

}  // namespace synergai
