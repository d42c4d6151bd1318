#include "actors/performance.hpp"

#include <algorithm>

namespace synergai {

Performance::Performance(const config::Testbed& testbed, const config::Dictionary& dictionary)
    : testbed_{&testbed}, dictionary_{&dictionary} {}

std::optional<Seconds> Performance::estimate(std::string_view engine, std::string_view node,
                                             const ExecConfig& config, int queries) const {
  const auto* p = dictionary_->find(engine, node, config);
  if (!p) return std::nullopt;
  return p->preprocessing + Seconds{queries / p->qps};
}

std::optional<Candidate> Performance::optimal(std::string_view engine, std::string_view node, int queries) const {
  const auto* p = dictionary_->optimum(engine, node);
  if (!p) return std::nullopt;
  return Candidate{std::string{node}, p->config, p->preprocessing + Seconds{queries / p->qps}};
}

std::optional<Candidate> Performance::baseline(std::string_view engine, std::string_view node, int queries) const {
  const auto* n = testbed_->find_node(node);
  if (!n || !n->baseline_config) return std::nullopt;
  auto e = estimate(engine, node, *n->baseline_config, queries);
  if (!e) return std::nullopt;
  return Candidate{std::string{node}, *n->baseline_config, *e};
}

std::vector<Candidate> Performance::optimal_candidates(std::string_view engine, int queries) const {
  std::vector<Candidate> out;
  for (const auto& n : testbed_->nodes)
    if (auto c = optimal(engine, n.name, queries)) out.push_back(std::move(*c));
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
