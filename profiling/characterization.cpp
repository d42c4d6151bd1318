#include "profiling/characterization.hpp"

#include "messages/format.hpp"
#include "support/statistics.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <set>

namespace synergai::profiling {
namespace {

NodeCharacterization characterize_node(const config::Dictionary& d, const std::string& node,
                                       const std::set<std::string>& engines) {
  NodeCharacterization n{node, {}, {}, {}};
  std::map<int, ThreadScaling> scaling;
  std::map<int, ModeShare> modes;
  for (const auto& e : engines) {
    auto points = d.points_for(e, node);
    if (points.empty()) continue;
    if (const auto* o = d.optimum(e, node)) n.ranking.push_back({e, o->qps, o->config});
    const ProfilePoint* one = nullptr;
    double best_mode = 0;
    for (const auto* p : points) {
      if (!p->config.mode && p->config.threads == 1) one = p;
      if (p->config.mode) best_mode = std::max(best_mode, p->qps);
    }
    for (const auto* p : points) {
      if (!p->config.mode && one && one->qps > 0) scaling[p->config.threads].engines[e] = p->qps / one->qps;
      if (p->config.mode && best_mode > 0) modes[*p->config.mode].engines[e] = p->qps / best_mode;
    }
  }
  for (auto& [threads, s] : scaling) {
    std::vector<double> v;
    for (const auto& [_, x] : s.engines) v.push_back(x);
    s.threads = threads;
    s.mean = stats::mean(v);
    s.min = *std::min_element(v.begin(), v.end());
    s.max = *std::max_element(v.begin(), v.end());
    if (auto it = thesis_x86_qps_speedup.find(threads); it != thesis_x86_qps_speedup.end()) s.thesis = it->second;
    n.scaling.push_back(std::move(s));
  }
  for (auto& [mode, m] : modes) {
    std::vector<double> v;
    for (const auto& [_, x] : m.engines) v.push_back(x);
    m.mode = mode;
    m.mean = stats::mean(v);
    n.modes.push_back(std::move(m));
  }
  std::stable_sort(n.ranking.begin(), n.ranking.end(),
                   [](const RankedEngine& a, const RankedEngine& b) { return a.qps > b.qps; });
  return n;
}

}  // namespace

Characterization characterize(const config::Dictionary& d) {
  std::set<std::string> engines, nodes;
  for (const auto& p : d.points()) {
    engines.insert(p.engine);
    nodes.insert(p.node);
  }
  Characterization c{d.testbed, d.points().size(), {}};
  for (const auto& node : nodes) c.nodes.push_back(characterize_node(d, node, engines));
  return c;
}

std::string render(const Characterization& c, const std::string& source) {
  std::string out = fmt::format("Characterization of {} (testbed {}): {} points\n", source, c.testbed, c.points);
  for (const auto& n : c.nodes) {
    out += fmt::format("\nnode {}\n", n.node);
    if (n.scales()) {
      out += "  QPS speed-up over 1 thread (mean over engines [min, max]; thesis: its x86 node, reference §4):\n";
      for (const auto& s : n.scaling)
        out += fmt::format("    {:>3} threads: {:5.2f}x [{:.2f}, {:.2f}]{}\n", s.threads, s.mean, s.min, s.max,
                           s.thesis ? fmt::format("   thesis {:.1f}x", *s.thesis) : "");
    }
    if (!n.modes.empty()) {
      out += "  QPS per power mode relative to each engine's best mode (mean over engines):\n";
      for (const auto& m : n.modes) out += fmt::format("    mode {:>3}: {:5.1f}%\n", m.mode, 100 * m.mean);
    }
    out += "  engines by c* QPS:\n";
    for (const auto& r : n.ranking)
      out += fmt::format("    {:<26} {:8.2f} QPS at {}\n", r.engine, r.qps, describe(r.config));
  }
  return out;
}

}  // namespace synergai::profiling
