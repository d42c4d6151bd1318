// The testbed performance model: what every engine achieves on every node in
// every configuration, from a small calibrated parameter table (a YAML file,
// docs/testbed.md). It stands in for the offline phase's design-space
// exploration when no cluster is at hand, and drives the simulated executor.
//
// Equations (e = engine, n = node, t = threads, m = power mode):
//   thread node  QPS(e,n,t) = q1 * t^a / (1 + k*t*(t-1))   (Amdahl-free power law
//                with a coherency penalty, Gunther's USL kappa); an engine may
//                collapse: for t >= T its QPS is q1 * c (oversubscription)
//   mode node    QPS(e,n,m) = q_ref * (S(m) / S(ref))^b     S: the node's mode speed,
//                b: the engine's sensitivity to it
//   pre-processing  P * f_n on mode nodes (mode-independent: memory/I-O bound);
//                on thread nodes P / (1-d) * (1 - d * log2(t) / log2(t_max)),
//                so P holds at t_max and 1 thread takes P / (1-d)
// A node is tuned either by thread count or by power mode, not both.
#pragma once

#include "config/dictionary.hpp"
#include "config/document.hpp"
#include "config/testbed.hpp"
#include "messages/profile.hpp"

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace synergai::profiling {

inline constexpr std::string_view performance_model_format = "synergai.performance-model/1";

struct Collapse {
  int from_threads = 0;  // from this many threads on ...
  double speedup = 1;    // ... the engine runs at this multiple of its 1-thread QPS
};

struct ThreadLaw {
  double qps_1thread = 0;
  double exponent = 1;    // a in (0, 1]: sub-linear scaling
  double contention = 0;  // k >= 0
  std::optional<Collapse> collapse;

  double speedup(int threads) const;  // QPS(t) / QPS(1)
};

struct ModeLaw {
  double qps = 0;               // at the node's reference mode
  double mode_sensitivity = 1;  // b
};

struct NodeModel {
  std::string node;
  double preprocessing_factor = 1;
  // Thread nodes: the largest thread option (the pre-processing reference).
  int max_threads = 1;
  // Mode nodes: the mode the engines' `qps` refer to, and every mode's speed.
  std::optional<int> reference_mode;
  std::map<int, double> mode_speed;

  bool by_mode() const { return reference_mode.has_value(); }
};

struct EngineModel {
  std::string engine;
  double preprocessing_s = 0;              // P: on a factor-1 node at its most threads
  double preprocessing_thread_saving = 0;  // d in [0, 1): saved from 1 thread to the most
  std::map<std::string, ThreadLaw> thread_laws;  // by node name
  std::map<std::string, ModeLaw> mode_laws;      // by node name
};

class PerformanceModel {
 public:
  std::string testbed;
  std::string description;
  int profiling_queries = 0;  // the query count of a modelled profiling run
  std::vector<NodeModel> nodes;
  std::vector<EngineModel> engines;

  const NodeModel* find_node(std::string_view node) const;
  const EngineModel* find_engine(std::string_view engine) const;

  // Throws InputError for an engine, node or configuration the model lacks.
  double qps(std::string_view engine, std::string_view node, const ExecConfig& c) const;
  Seconds preprocessing(std::string_view engine, std::string_view node, const ExecConfig& c) const;
  // One profile point (source "model") for `profiling_queries` queries.
  ProfilePoint point(std::string_view engine, std::string_view node, const ExecConfig& c) const;
};

// Reads and checks a model against its testbed: every engine x node covered,
// laws matching each node's kind, mode speeds for exactly the node's modes.
// Throws config::ValidationError listing every problem with its field path.
PerformanceModel read_performance_model(const config::Document& doc, const config::Testbed& testbed);
PerformanceModel load_performance_model(const std::filesystem::path& path, const config::Testbed& testbed);
// The model the testbed names (`performance_model`); InputError if it names none.
PerformanceModel load_testbed_model(const config::Testbed& testbed);
// Whether a parsed document is a performance model (by its `format`).
bool is_performance_model(const config::Document& doc);

// The offline phase on the model: one point per engine x node x configuration,
// then c* per (engine, node) by Dictionary::choose_optima.
config::Dictionary build_dictionary(const config::Testbed& testbed, const PerformanceModel& model);

}  // namespace synergai::profiling
