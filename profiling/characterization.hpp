// The thesis-style characterization of any configuration dictionary (reference
// §4): per node, the QPS speed-up of each thread count over 1 thread (next to
// the thesis's x86 curve), the QPS of each power mode relative to each
// engine's best mode, and the engines ranked by their c* QPS. `synergai profile
// report` prints it and draws it (experiments/characterization_figures.hpp).
#pragma once

#include "config/dictionary.hpp"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace synergai::profiling {

// The thesis's x86 node (16 vCPUs): QPS speed-up over 1 thread, averaged over
// its engines (reference §4).
inline const std::map<int, double> thesis_x86_qps_speedup{{1, 1.0}, {2, 1.6}, {4, 2.5}, {8, 3.8}, {16, 4.5}};

struct ThreadScaling {
  int threads = 0;
  double mean = 0, min = 0, max = 0;       // over the engines measured at 1 and at `threads` threads
  std::map<std::string, double> engines;  // engine -> QPS(threads) / QPS(1)
  std::optional<double> thesis;           // the thesis's x86 figure at this thread count
};

struct ModeShare {
  int mode = 0;
  double mean = 0;                        // over engines
  std::map<std::string, double> engines;  // engine -> QPS(mode) / QPS(its best mode)
};

struct RankedEngine {
  std::string engine;
  double qps = 0;
  ExecConfig config;  // c*
};

struct NodeCharacterization {
  std::string node;
  std::vector<ThreadScaling> scaling;  // thread counts of points without a mode, ascending
  std::vector<ModeShare> modes;        // ascending mode id
  std::vector<RankedEngine> ranking;   // fastest c* first

  // Whether there is a scaling to show: more than one thread count.
  bool scales() const { return scaling.size() > 1; }
};

struct Characterization {
  std::string testbed;
  std::size_t points = 0;
  std::vector<NodeCharacterization> nodes;  // by node name
};

Characterization characterize(const config::Dictionary& dictionary);

// The report as text; `source` names the dictionary in the heading.
std::string render(const Characterization& c, const std::string& source);

}  // namespace synergai::profiling
