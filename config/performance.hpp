// What the online phase knows about performance, read from the configuration
// dictionary: estimated execution times (Eq. 6.2) of an engine on a node in a
// configuration, the optimal configuration c* per (engine, node), and the
// node's predefined baseline configuration.
//
// The scheduler's hot path reads c* through dense indexes built once: engines
// and nodes by position, and node classes — nodes whose c*, pre-processing
// and QPS agree for every engine (replicas of one kind of hardware), so that
// their estimates are always equal and are computed once per class.
//
// With learned profiles (config/learned_profiles.hpp) every estimate is the
// profiled time times the learned factor of its (engine, node,
// configuration). Learning is per node, so then every node is a class of its
// own (a drifting replica must not speak for its siblings); the factors of
// the optima are kept in atomics so the hot path reads them without a lock.
// Without learned profiles every answer is the dictionary's, as before.
#pragma once

#include "config/dictionary.hpp"
#include "config/learned_profiles.hpp"
#include "config/testbed.hpp"
#include "messages/protocol.hpp"

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace synergai {

class Performance {
 public:
  // Both must outlive this object. With `learned`, estimates use its factors
  // and observe() feeds it.
  Performance(const config::Testbed& testbed, const config::Dictionary& dictionary,
              std::shared_ptr<config::LearnedProfiles> learned = nullptr);

  const config::Testbed& testbed() const { return *testbed_; }
  const config::Dictionary& dictionary() const { return *dictionary_; }

  // The dictionary's time, pre-processing + q / QPS of `config`, never
  // corrected (what the simulated executor models as the truth); empty if not
  // profiled.
  std::optional<Seconds> profiled_estimate(std::string_view engine, std::string_view node, const ExecConfig& config,
                                           int queries) const;
  // T_estimated: the profiled time times the learned factor, if any.
  std::optional<Seconds> estimate(std::string_view engine, std::string_view node, const ExecConfig& config,
                                  int queries) const;
  // c*(engine, node) with its estimate; empty if the pair was never profiled.
  std::optional<Candidate> optimal(std::string_view engine, std::string_view node, int queries) const;
  // The node's baseline configuration with its estimate; empty if the node has
  // none or it was not profiled for the engine.
  std::optional<Candidate> baseline(std::string_view engine, std::string_view node, int queries) const;
  // baseline()'s estimate by dense indexes (engine_index, node_index): the
  // baselines' hot path, without names.
  std::optional<Seconds> baseline_estimate(std::size_t engine, std::size_t node, int queries) const;
  // c* on every worker that profiled the engine, fastest first (ties: testbed order).
  std::vector<Candidate> optimal_candidates(std::string_view engine, int queries) const;
  // Mean QPS over all engines in each node's baseline configuration.
  double baseline_strength(std::string_view node) const;

  // The learned profiles; null when learning is off.
  const std::shared_ptr<config::LearnedProfiles>& learned() const { return learned_; }
  // A run that succeeded took `observed` (start to finish): fold it into the
  // learned profiles. Safe from any thread; false when learning is off, the
  // point was never profiled, or the outlier guard rejected it.
  bool observe(std::string_view engine, std::string_view node, const ExecConfig& config, int queries,
               Seconds observed) const;

  // Dense indexes (testbed order for nodes).
  struct Optimum {
    ExecConfig config;
    Seconds preprocessing{};
    double qps = 0;
    const std::atomic<double>* correction = nullptr;  // learned factor; null: learning off
    Seconds estimate(int queries) const {
      const Seconds profiled = preprocessing + Seconds{queries / qps};
      return correction ? profiled * correction->load(std::memory_order_relaxed) : profiled;
    }
  };
  std::optional<std::size_t> engine_index(std::string_view engine) const;
  std::optional<std::size_t> node_index(std::string_view node) const;
  std::size_t class_count() const { return class_nodes_.size(); }
  std::size_t class_of(std::size_t node) const { return class_of_[node]; }
  const std::vector<std::size_t>& class_nodes(std::size_t cls) const { return class_nodes_[cls]; }
  // c* of an engine on every node of a class; null if not profiled.
  const Optimum* optimum(std::size_t engine, std::size_t cls) const {
    const auto& o = optima_[engine * class_nodes_.size() + cls];
    return o ? &*o : nullptr;
  }

 private:
  const config::Testbed* testbed_;
  const config::Dictionary* dictionary_;
  std::unordered_map<std::string, std::size_t> engine_index_;
  std::unordered_map<std::string, std::size_t> node_index_;
  std::vector<std::size_t> class_of_;                // node -> class
  std::vector<std::vector<std::size_t>> class_nodes_;  // class -> nodes, testbed order
  std::vector<std::optional<Optimum>> optima_;       // engine * classes + class
  std::vector<const ProfilePoint*> baseline_points_;  // engine * nodes + node; null: none
  std::shared_ptr<config::LearnedProfiles> learned_;
  // Learning: the factor of each (engine, node)'s c*, engine * nodes + node.
  std::unique_ptr<std::atomic<double>[]> corrections_;
  mutable std::mutex publishing_;  // one observation's fold and publication at a time
};

}  // namespace synergai
