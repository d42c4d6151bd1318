#include "config/testbed.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <regex>
#include <set>

namespace synergai::config {
namespace {

// Engine and node names end up in Kubernetes object names and labels.
bool is_dns_label(const std::string& s) {
  static const std::regex re{"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?"};
  return std::regex_match(s, re);
}

std::optional<std::string> read_name(const Cursor& c) {
  auto s = c.string();
  if (s && !is_dns_label(*s)) {
    c.expected("a lower-case name of letters, digits and '-' (at most 63 characters)");
    return std::nullopt;
  }
  return s;
}

std::optional<PowerMode> read_mode(const Cursor& c, int cpus) {
  if (!c.object({"id", "name", "max_mhz", "online_cpus", "budget_w"})) return std::nullopt;
  PowerMode m;
  auto id = c.field("id").integer(0, 1000);
  auto name = c.field("name").string();
  auto mhz = c.field("max_mhz").integer(1, 100000);
  auto online = c.field("online_cpus").integer(1, std::max(cpus, 1));
  auto budget = c.field("budget_w");
  if (budget.present() && budget.raw()->is_string()) {
    auto word = budget.string_in({"unlimited", "unknown"});
    if (!word) return std::nullopt;
    m.budget_known = *word == "unlimited";
  } else if (auto w = budget.number(0, 10000, true)) {
    m.budget_w = *w;
  } else {
    return std::nullopt;
  }
  if (!id || !name || !mhz || !online) return std::nullopt;
  m.id = static_cast<int>(*id);
  m.name = *name;
  m.max_mhz = static_cast<int>(*mhz);
  m.online_cpus = static_cast<int>(*online);
  return m;
}

std::optional<ExecConfig> read_exec_config(const Cursor& c, const NodeSpec& node) {
  if (!c.object({"threads", "mode"})) return std::nullopt;
  ExecConfig cfg;
  auto threads = c.field("threads").integer(1, std::max(node.cpus, 1));
  if (!threads) return std::nullopt;
  cfg.threads = static_cast<int>(*threads);
  auto mode = c.field("mode");
  if (node.has_modes()) {
    auto id = mode.integer(0, 1000);
    if (!id) return std::nullopt;
    if (!node.find_mode(static_cast<int>(*id))) {
      mode.error(fmt::format("power mode {} is not one of node {}'s power_modes", *id, node.name));
      return std::nullopt;
    }
    cfg.mode = static_cast<int>(*id);
  } else if (mode.present()) {
    mode.error(fmt::format("node {} has no power_modes, so its configurations take no mode", node.name));
    return std::nullopt;
  }
  return cfg;
}

std::optional<NodeSpec> read_node(const Cursor& c) {
  if (!c.object({"name", "kubernetes_node", "arch", "tier", "cpus", "memory_gib", "thread_options", "power_modes",
                 "default_mode", "mode_switch_latency_s", "baseline_config", "cpu_set", "replicas"}))
    return std::nullopt;
  NodeSpec n;
  bool ok = true;
  auto take = [&ok](auto opt, auto& into) {
    if (opt) into = static_cast<std::remove_reference_t<decltype(into)>>(*opt);
    else ok = false;
  };
  take(read_name(c.field("name")), n.name);
  take(c.field("kubernetes_node").string(), n.kubernetes_node);
  if (auto a = c.field("arch").string_in({"amd64", "arm64"})) n.arch = *parse_arch(*a);
  else ok = false;
  if (auto t = c.field("tier").string_in({"edge", "cloud"})) n.tier = *parse_tier(*t);
  else ok = false;
  take(c.field("cpus").integer(1, 4096), n.cpus);
  take(c.field("memory_gib").number(0, 1e6, true), n.memory_gib);
  if (!ok && n.cpus == 0) n.cpus = 4096;  // keep checking the rest against a lenient bound

  auto threads = c.field("thread_options");
  auto modes = c.field("power_modes");
  if (!threads.present() && !modes.present()) {
    c.error("a node needs thread_options, power_modes or both");
    ok = false;
  }
  if (threads.present()) {
    std::set<long long> seen;
    for (const auto& t : threads.items()) {
      auto v = t.integer(1, n.cpus);
      if (!v) {
        ok = false;
      } else if (!seen.insert(*v).second) {
        t.error(fmt::format("duplicate thread option {}", *v));
        ok = false;
      } else {
        n.thread_options.push_back(static_cast<int>(*v));
      }
    }
    if (threads.raw()->is_array() && threads.raw()->empty()) ok = false;
  }
  if (modes.present()) {
    std::set<int> ids;
    for (const auto& m : modes.items()) {
      auto mode = read_mode(m, n.cpus);
      if (!mode) {
        ok = false;
      } else if (!ids.insert(mode->id).second) {
        m.field("id").error(fmt::format("duplicate power mode id {}", mode->id));
        ok = false;
      } else {
        n.power_modes.push_back(*mode);
      }
    }
    auto def = c.field("default_mode");
    if (auto id = def.integer(0, 1000)) {
      if (!n.find_mode(static_cast<int>(*id))) {
        if (!n.power_modes.empty()) def.error(fmt::format("default mode {} is not one of the node's power_modes", *id));
        ok = false;
      } else {
        n.default_mode = static_cast<int>(*id);
      }
    } else {
      ok = false;
    }
    if (auto lat = c.field("mode_switch_latency_s").number(0, 3600)) n.mode_switch_latency = Seconds{*lat};
    else ok = false;
  } else {
    for (auto key : {"default_mode", "mode_switch_latency_s"})
      if (c.field(key).present()) {
        c.field(key).error(fmt::format("only meaningful with power_modes, which node {} does not have", n.name));
        ok = false;
      }
  }
  if (auto b = c.field("baseline_config"); b.present() && ok) {
    if (auto cfg = read_exec_config(b, n)) {
      if (!Testbed::supports(n, *cfg)) {
        b.error(fmt::format("{} is not one of node {}'s configurations", *cfg, n.name));
        ok = false;
      } else {
        n.baseline_config = cfg;
      }
    } else {
      ok = false;
    }
  }
  if (auto set = c.field("cpu_set"); set.present()) {
    std::set<long long> seen;
    for (const auto& item : set.items()) {
      auto v = item.integer(0, 1023);
      if (!v) {
        ok = false;
      } else if (!seen.insert(*v).second) {
        item.error(fmt::format("duplicate CPU {}", *v));
        ok = false;
      } else {
        n.cpu_set.push_back(static_cast<int>(*v));
      }
    }
    if (set.raw()->is_array() && set.raw()->empty()) ok = false;
    if (ok && n.cpu_set.size() > static_cast<std::size_t>(n.cpus)) {
      set.error(fmt::format("{} CPUs listed but node {} has cpus: {}", n.cpu_set.size(), n.name, n.cpus));
      ok = false;
    }
  }
  if (!ok) return std::nullopt;
  return n;
}

std::optional<ContainerTemplate> read_container(const Cursor& c) {
  if (!c.object({"image", "command", "args", "env"})) return std::nullopt;
  ContainerTemplate t;
  bool ok = true;
  if (auto image = c.field("image").string()) t.image = *image;
  else ok = false;
  for (auto [key, into] : {std::pair{"command", &t.command}, std::pair{"args", &t.args}}) {
    auto list = c.field(key);
    if (!list.present()) continue;
    for (const auto& item : list.items(true)) {
      if (auto s = item.string()) into->push_back(*s);
      else ok = false;
    }
  }
  if (auto env = c.field("env"); env.present()) {
    static const std::regex name_re{"[A-Za-z_][A-Za-z0-9_]*"};
    if (!env.raw()->is_object()) {
      env.expected("a mapping of variable names to strings");
      ok = false;
    }
    for (const auto& key : env.keys()) {
      auto value = env.field(key);
      if (!std::regex_match(key, name_re)) {
        value.error(fmt::format("\"{}\" is not a valid environment variable name", key));
        ok = false;
      } else if (auto s = value.string()) {
        t.env[key] = *s;
      } else {
        ok = false;
      }
    }
  }
  if (!ok) return std::nullopt;
  return t;
}

std::optional<EngineSpec> read_engine(const Cursor& c) {
  if (!c.object({"id", "task", "backend", "model", "variant", "dataset", "accuracy", "accuracy_metric",
                 "thread_knob", "container", "model_file"}))
    return std::nullopt;
  EngineSpec e;
  bool ok = true;
  auto take = [&ok](auto opt, auto& into) {
    if (opt) into = *opt;
    else ok = false;
  };
  take(read_name(c.field("id")), e.id);
  take(c.field("task").string_in({"classification", "detection"}), e.task);
  take(c.field("backend").string_in({"tensorflow", "tflite", "onnxruntime", "opencv"}), e.backend);
  take(c.field("model").string(), e.model);
  if (c.field("variant").present()) take(c.field("variant").string(), e.variant);
  take(c.field("dataset").string(), e.dataset);
  take(c.field("accuracy").number(0, 100), e.accuracy);  // 0: untrained (seeded random weights)
  take(c.field("accuracy_metric").string_in({"top1", "mAP"}), e.accuracy_metric);
  take(c.field("thread_knob").string(), e.thread_knob);
  take(read_container(c.field("container")), e.container);
  if (c.field("model_file").present()) take(c.field("model_file").string(), e.model_file);
  if (!ok) return std::nullopt;
  return e;
}

}  // namespace

const NodeSpec* Testbed::find_node(std::string_view name) const {
  auto it = std::find_if(nodes.begin(), nodes.end(), [&](const NodeSpec& n) { return n.name == name; });
  return it == nodes.end() ? nullptr : &*it;
}

std::string_view Testbed::profile_of(std::string_view node) const {
  if (replica_of.empty()) return node;
  auto it = replica_of.find(node);
  return it == replica_of.end() ? node : std::string_view{it->second};
}

std::vector<NodeSpec> Testbed::profiles() const {
  std::vector<NodeSpec> out;
  std::set<std::string_view> seen;
  for (const auto& n : nodes) {
    auto profile = profile_of(n.name);
    if (!seen.insert(profile).second) continue;
    out.push_back(n);
    out.back().name = std::string{profile};
  }
  return out;
}

std::optional<NodeSpec> Testbed::find_profile(std::string_view profile) const {
  for (const auto& n : nodes)
    if (profile_of(n.name) == profile) {
      auto spec = n;
      spec.name = std::string{profile};
      return spec;
    }
  return std::nullopt;
}

void add_replicas(Testbed& testbed, const NodeSpec& node, int count) {
  for (int i = 1; i <= count; ++i) {
    auto replica = node;
    replica.name = fmt::format("{}-{}", node.name, i);
    replica.kubernetes_node = fmt::format("{}-{}", node.kubernetes_node, i);
    testbed.replica_of[replica.name] = node.name;
    testbed.nodes.push_back(std::move(replica));
  }
}

const EngineSpec* Testbed::find_engine(std::string_view id) const {
  auto it = std::find_if(engines.begin(), engines.end(), [&](const EngineSpec& e) { return e.id == id; });
  return it == engines.end() ? nullptr : &*it;
}

bool Testbed::supports(const NodeSpec& node, const ExecConfig& c) {
  auto configs = node.configurations();
  return std::find(configs.begin(), configs.end(), c) != configs.end();
}

Testbed read_testbed(const Document& doc) {
  Diagnostics diagnostics;
  Cursor root{doc, diagnostics};
  Testbed tb;
  if (root.object({"testbed", "description", "performance_model", "nodes", "engines"})) {
    if (auto name = read_name(root.field("testbed"))) tb.name = *name;
    if (auto d = root.field("description").optional_string()) tb.description = *d;
    if (auto model = root.field("performance_model"); model.present()) {
      if (auto file = model.string()) {
        auto resolved = std::filesystem::path{doc.file}.parent_path() / *file;
        if (std::filesystem::path{*file}.is_absolute()) resolved = *file;
        if (!std::filesystem::is_regular_file(resolved))
          model.error(fmt::format("no such file \"{}\" (resolved relative to the testbed file)", resolved.string()));
        else
          tb.performance_model = resolved;
      }
    }
    std::set<std::string> names;  // nodes' and replicated entries' (the profiles') names
    for (const auto& c : root.field("nodes").items()) {
      auto n = read_node(c);
      std::optional<long long> replicas;
      if (auto r = c.field("replicas"); r.present() && !(replicas = r.integer(1, 100000))) n.reset();
      if (!n) continue;
      if (!names.insert(n->name).second) {
        c.field("name").error(fmt::format("duplicate node name \"{}\"", n->name));
        continue;
      }
      if (!replicas) {
        tb.nodes.push_back(std::move(*n));
        continue;
      }
      auto first = tb.nodes.size();
      add_replicas(tb, *n, static_cast<int>(*replicas));
      for (auto i = first; i < tb.nodes.size(); ++i)
        if (!names.insert(tb.nodes[i].name).second)
          c.field("replicas").error(fmt::format("replica \"{}\" has the name of another node", tb.nodes[i].name));
    }
    std::set<std::string> ids;
    for (const auto& c : root.field("engines").items()) {
      if (auto e = read_engine(c)) {
        if (!ids.insert(e->id).second) c.field("id").error(fmt::format("duplicate engine id \"{}\"", e->id));
        else tb.engines.push_back(std::move(*e));
      }
    }
  }
  diagnostics.throw_if_any();
  return tb;
}

Testbed load_testbed(const std::filesystem::path& path) { return read_testbed(read_yaml_file(path)); }

}  // namespace synergai::config
