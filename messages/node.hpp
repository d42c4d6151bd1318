// A worker node of the cluster: its hardware, the thread counts worth trying,
// and (on NVIDIA Jetson boards) the power modes it can switch to without reboot.
#pragma once

#include "messages/exec_config.hpp"
#include "messages/format.hpp"
#include "messages/time.hpp"

#include <nlohmann/json_fwd.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace synergai {

enum class Tier { edge, cloud };
enum class Arch { amd64, arm64 };

std::string_view to_string(Tier t);
std::string_view to_string(Arch a);
std::optional<Tier> parse_tier(std::string_view s);
std::optional<Arch> parse_arch(std::string_view s);

struct PowerMode {
  int id = 0;
  std::string name;
  int max_mhz = 0;
  int online_cpus = 0;
  // The power cap in watts; empty: no cap (MAXN) or, when !budget_known, a
  // cap nobody stated (a mode imported from an nvpmodel.conf whose name gives
  // no wattage). An unknown budget ranks with the uncapped ones when ties are
  // broken by budget.
  std::optional<double> budget_w;
  bool budget_known = true;

  friend bool operator==(const PowerMode&, const PowerMode&) = default;
};

struct NodeSpec {
  std::string name;             // the scheduler's name for it: x86, agx, nx
  std::string kubernetes_node;  // the node's name in the cluster
  Arch arch = Arch::amd64;
  Tier tier = Tier::cloud;
  int cpus = 0;
  double memory_gib = 0;
  std::vector<int> thread_options;    // empty: threads follow the mode's online CPUs
  std::vector<PowerMode> power_modes; // empty: no operating modes
  std::optional<int> default_mode;
  Seconds mode_switch_latency{0};
  std::optional<ExecConfig> baseline_config;  // what mode-unaware baselines run
  std::vector<int> cpu_set;  // local executor: the machine's CPUs this node is pinned to; empty: all

  const PowerMode* find_mode(int id) const;
  bool has_modes() const { return !power_modes.empty(); }
  // Every configuration the offline phase explores on this node, in a fixed
  // order: thread options (ascending) x power modes (as listed).
  std::vector<ExecConfig> configurations() const;

  friend bool operator==(const NodeSpec&, const NodeSpec&) = default;
};

std::string describe(const PowerMode& m);
std::string describe(const NodeSpec& n);
void to_json(nlohmann::json& j, const PowerMode& m);
void from_json(const nlohmann::json& j, PowerMode& m);
void to_json(nlohmann::json& j, const NodeSpec& n);
void from_json(const nlohmann::json& j, NodeSpec& n);

}  // namespace synergai
