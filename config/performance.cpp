#include "config/performance.hpp"

#include <algorithm>
#include <map>
#include <tuple>

namespace synergai {
namespace {

// Eq. 6.2 from a profiled point: pre-processing + q / QPS.
Seconds estimate_of(const ProfilePoint& p, int queries) { return p.preprocessing + Seconds{queries / p.qps}; }

}  // namespace

Performance::Performance(const config::Testbed& testbed, const config::Dictionary& dictionary,
                         std::shared_ptr<config::LearnedProfiles> learned)
    : testbed_{&testbed}, dictionary_{&dictionary}, learned_{std::move(learned)} {
  std::vector<std::string> engines;
  for (const auto& e : testbed.engines) engines.push_back(e.id);
  for (const auto& p : dictionary.points()) engines.push_back(p.engine);
  for (const auto& e : engines) engine_index_.emplace(e, engine_index_.size());
  std::vector<std::string> engine_of(engine_index_.size());
  for (const auto& [e, i] : engine_index_) engine_of[i] = e;

  // A node's signature: its c* and that point's figures, for every engine;
  // learning, also the node itself (its own class: its factors are its own).
  using Signature = std::pair<std::vector<std::optional<std::tuple<int, int, double, double>>>, std::size_t>;
  std::map<Signature, std::size_t> classes;
  std::vector<std::vector<std::optional<Optimum>>> per_class;  // class -> engine -> c*
  for (std::size_t n = 0; n < testbed.nodes.size(); ++n) {
    const auto& node = testbed.nodes[n].name;
    node_index_.emplace(node, n);
    Signature signature{{}, learned_ ? n : 0};
    std::vector<std::optional<Optimum>> optima;
    for (const auto& e : engine_of) {
      const auto* p = dictionary.optimum(e, node);
      if (!p) {
        signature.first.emplace_back();
        optima.emplace_back();
        continue;
      }
      signature.first.emplace_back(std::tuple{p->config.threads, p->config.mode.value_or(-1), p->preprocessing.count(), p->qps});
      optima.push_back(Optimum{p->config, p->preprocessing, p->qps});
    }
    auto [it, fresh] = classes.emplace(std::move(signature), class_nodes_.size());
    if (fresh) {
      class_nodes_.emplace_back();
      per_class.push_back(std::move(optima));
    }
    class_of_.push_back(it->second);
    class_nodes_[it->second].push_back(n);
  }
  optima_.resize(engine_of.size() * class_nodes_.size());
  for (std::size_t c = 0; c < per_class.size(); ++c)
    for (std::size_t e = 0; e < engine_of.size(); ++e) optima_[e * class_nodes_.size() + c] = per_class[c][e];
  // Each (engine, node)'s baseline point: the baselines look one up per
  // worker and arrival.
  baseline_points_.assign(engine_of.size() * testbed.nodes.size(), nullptr);
  for (std::size_t n = 0; n < testbed.nodes.size(); ++n)
    if (const auto& config = testbed.nodes[n].baseline_config)
      for (std::size_t e = 0; e < engine_of.size(); ++e)
        baseline_points_[e * testbed.nodes.size() + n] = dictionary.find(engine_of[e], testbed.nodes[n].name, *config);
  if (!learned_) return;
  // Learning: a class is one node, and each c* reads its node's factor.
  const auto nodes = testbed.nodes.size();
  corrections_ = std::make_unique<std::atomic<double>[]>(engine_of.size() * nodes);
  for (std::size_t e = 0; e < engine_of.size(); ++e)
    for (std::size_t n = 0; n < nodes; ++n) {
      auto& slot = corrections_[e * nodes + n];
      auto& o = optima_[e * class_nodes_.size() + class_of_[n]];
      slot.store(o ? learned_->factor(engine_of[e], testbed.nodes[n].name, o->config).value_or(1.0) : 1.0);
      if (o) o->correction = &slot;
    }
}

bool Performance::observe(std::string_view engine, std::string_view node, const ExecConfig& config, int queries,
                          Seconds observed) const {
  if (!learned_) return false;
  auto profiled = profiled_estimate(engine, node, config, queries);
  if (!profiled) return false;
  std::lock_guard lock{publishing_};
  if (!learned_->observe(engine, node, config, *profiled, observed)) return false;
  // The node's mean changed too: republish the factor of its c* for every engine.
  auto n = node_index(node);
  if (!n) return true;
  for (const auto& [name, e] : engine_index_)
    if (const auto& o = optima_[e * class_nodes_.size() + class_of_[*n]])
      corrections_[e * testbed_->nodes.size() + *n].store(learned_->factor(name, node, o->config).value_or(1.0),
                                                          std::memory_order_relaxed);
  return true;
}

std::optional<std::size_t> Performance::engine_index(std::string_view engine) const {
  auto it = engine_index_.find(std::string{engine});
  if (it == engine_index_.end()) return std::nullopt;
  return it->second;
}

std::optional<std::size_t> Performance::node_index(std::string_view node) const {
  auto it = node_index_.find(std::string{node});
  if (it == node_index_.end()) return std::nullopt;
  return it->second;
}

std::optional<Seconds> Performance::profiled_estimate(std::string_view engine, std::string_view node,
                                                      const ExecConfig& config, int queries) const {
  const auto* p = dictionary_->find(engine, node, config);
  if (!p) return std::nullopt;
  return estimate_of(*p, queries);
}

std::optional<Seconds> Performance::estimate(std::string_view engine, std::string_view node,
                                             const ExecConfig& config, int queries) const {
  auto profiled = profiled_estimate(engine, node, config, queries);
  if (!profiled || !learned_) return profiled;
  if (auto factor = learned_->factor(engine, node, config)) return *profiled * *factor;
  return profiled;
}

std::optional<Candidate> Performance::optimal(std::string_view engine, std::string_view node, int queries) const {
  auto e = engine_index(engine);
  auto n = node_index(node);
  if (!e || !n) return std::nullopt;
  const auto* o = optimum(*e, class_of_[*n]);
  if (!o) return std::nullopt;
  return Candidate{std::string{node}, o->config, o->estimate(queries)};
}

std::optional<Candidate> Performance::baseline(std::string_view engine, std::string_view node, int queries) const {
  auto e = engine_index(engine);
  auto n = node_index(node);
  if (!e || !n) return std::nullopt;
  auto estimate = baseline_estimate(*e, *n, queries);
  if (!estimate) return std::nullopt;
  return Candidate{std::string{node}, *testbed_->nodes[*n].baseline_config, *estimate};
}

std::optional<Seconds> Performance::baseline_estimate(std::size_t engine, std::size_t node, int queries) const {
  const auto* p = baseline_points_[engine * testbed_->nodes.size() + node];
  if (!p) return std::nullopt;
  Seconds estimate = estimate_of(*p, queries);
  if (learned_) {
    const auto& n = testbed_->nodes[node];
    if (auto factor = learned_->factor(p->engine, n.name, *n.baseline_config)) estimate = estimate * *factor;
  }
  return estimate;
}

std::vector<Candidate> Performance::optimal_candidates(std::string_view engine, int queries) const {
  std::vector<Candidate> out;
  auto e = engine_index(engine);
  if (!e) return out;
  std::vector<std::optional<Seconds>> by_class(class_nodes_.size());
  for (std::size_t c = 0; c < class_nodes_.size(); ++c)
    if (const auto* o = optimum(*e, c)) by_class[c] = o->estimate(queries);
  for (std::size_t n = 0; n < testbed_->nodes.size(); ++n)
    if (const auto& estimate = by_class[class_of_[n]])
      out.push_back(Candidate{testbed_->nodes[n].name, optimum(*e, class_of_[n])->config, *estimate});
  std::stable_sort(out.begin(), out.end(), [](const Candidate& a, const Candidate& b) { return a.estimate < b.estimate; });
  return out;
}

double Performance::baseline_strength(std::string_view node) const {
  const auto* n = testbed_->find_node(node);
  if (!n || !n->baseline_config) return 0;
  double sum = 0;
  int count = 0;
  for (const auto& e : testbed_->engines)
    if (const auto* p = dictionary_->find(e.id, node, *n->baseline_config)) {
      sum += p->qps;
      ++count;
    }
  return count == 0 ? 0 : sum / count;
}

}  // namespace synergai
