#include "messages/node.hpp"

#include "messages/json_util.hpp"

#include <algorithm>

namespace synergai {

std::string_view to_string(Tier t) { return t == Tier::edge ? "edge" : "cloud"; }
std::string_view to_string(Arch a) { return a == Arch::amd64 ? "amd64" : "arm64"; }

std::optional<Tier> parse_tier(std::string_view s) {
  if (s == "edge") return Tier::edge;
  if (s == "cloud") return Tier::cloud;
  return std::nullopt;
}

std::optional<Arch> parse_arch(std::string_view s) {
  if (s == "amd64") return Arch::amd64;
  if (s == "arm64") return Arch::arm64;
  return std::nullopt;
}

const PowerMode* NodeSpec::find_mode(int id) const {
  auto it = std::find_if(power_modes.begin(), power_modes.end(), [id](const PowerMode& m) { return m.id == id; });
  return it == power_modes.end() ? nullptr : &*it;
}

std::vector<ExecConfig> NodeSpec::configurations() const {
  std::vector<ExecConfig> out;
  auto threads = thread_options;
  std::sort(threads.begin(), threads.end());
  if (power_modes.empty()) {
    for (int t : threads) out.push_back({t, std::nullopt});
    return out;
  }
  for (const auto& m : power_modes) {
    if (threads.empty()) {
      out.push_back({m.online_cpus, m.id});
    } else {
      for (int t : threads) out.push_back({t, m.id});
    }
  }
  return out;
}

std::string describe(const PowerMode& m) {
  return fmt::format("mode {} ({}): {} MHz, {} CPUs, {}", m.id, m.name, m.max_mhz, m.online_cpus,
                     m.budget_w       ? fmt::format("{} W", *m.budget_w)
                     : m.budget_known ? std::string{"no power cap"}
                                      : std::string{"power budget unknown"});
}

std::string describe(const NodeSpec& n) {
  return fmt::format("{} ({}, {}, {} CPUs, {} thread options, {} power modes)", n.name, to_string(n.arch),
                     to_string(n.tier), n.cpus, n.thread_options.size(), n.power_modes.size());
}

void to_json(nlohmann::json& j, const PowerMode& m) {
  j = nlohmann::json{{"id", m.id}, {"name", m.name}, {"max_mhz", m.max_mhz}, {"online_cpus", m.online_cpus}};
  if (m.budget_w) j["budget_w"] = *m.budget_w;
  else j["budget_w"] = m.budget_known ? "unlimited" : "unknown";
}

void from_json(const nlohmann::json& j, PowerMode& m) {
  m.id = j.at("id").get<int>();
  m.name = j.at("name").get<std::string>();
  m.max_mhz = j.at("max_mhz").get<int>();
  m.online_cpus = j.at("online_cpus").get<int>();
  const auto& b = j.at("budget_w");
  m.budget_w = b.is_string() ? std::nullopt : std::optional<double>{b.get<double>()};
  m.budget_known = !(b.is_string() && b.get<std::string>() == "unknown");
}

void to_json(nlohmann::json& j, const NodeSpec& n) {
  j = nlohmann::json{{"name", n.name},
                     {"kubernetes_node", n.kubernetes_node},
                     {"arch", to_string(n.arch)},
                     {"tier", to_string(n.tier)},
                     {"cpus", n.cpus},
                     {"memory_gib", n.memory_gib},
                     {"thread_options", n.thread_options},
                     {"power_modes", n.power_modes},
                     {"mode_switch_latency_s", seconds_of(n.mode_switch_latency)}};
  json_util::put_optional(j, "default_mode", n.default_mode);
  json_util::put_optional(j, "baseline_config", n.baseline_config);
  if (!n.cpu_set.empty()) j["cpu_set"] = n.cpu_set;
}

void from_json(const nlohmann::json& j, NodeSpec& n) {
  n.name = j.at("name").get<std::string>();
  n.kubernetes_node = j.at("kubernetes_node").get<std::string>();
  n.arch = parse_arch(j.at("arch").get<std::string>()).value();
  n.tier = parse_tier(j.at("tier").get<std::string>()).value();
  n.cpus = j.at("cpus").get<int>();
  n.memory_gib = j.at("memory_gib").get<double>();
  n.thread_options = j.at("thread_options").get<std::vector<int>>();
  n.power_modes = j.at("power_modes").get<std::vector<PowerMode>>();
  n.mode_switch_latency = Seconds{j.at("mode_switch_latency_s").get<double>()};
  n.default_mode = json_util::get_optional<int>(j, "default_mode");
  n.baseline_config = json_util::get_optional<ExecConfig>(j, "baseline_config");
  n.cpu_set = j.contains("cpu_set") ? j.at("cpu_set").get<std::vector<int>>() : std::vector<int>{};
}

}  // namespace synergai
