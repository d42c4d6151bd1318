#include "config/experiment.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <set>

namespace synergai::config {
namespace {

std::vector<std::string> read_names(const Cursor& c, const std::set<std::string>& known, std::string_view what) {
  std::vector<std::string> out;
  std::string list;
  for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
  for (const auto& item : c.items()) {
    auto s = item.string();
    if (!s) continue;
    if (!known.count(*s)) {
      item.error(fmt::format("unknown {} \"{}\" (known: {})", what, *s, list));
    } else if (std::find(out.begin(), out.end(), *s) != out.end()) {
      item.error(fmt::format("{} \"{}\" listed twice", what, *s));
    } else {
      out.push_back(*s);
    }
  }
  return out;
}

}  // namespace

Experiment read_experiment(const Document& doc, const std::filesystem::path& base_dir,
                           const std::set<std::string>& known_policies) {
  Diagnostics diagnostics;
  Cursor root{doc, diagnostics};
  Experiment x;
  if (root.object({"experiment", "testbed", "dictionary", "scenarios", "policies", "seeds", "jobs", "draw",
                   "noise_sigma", "failure_probability", "tick_s", "late", "interarrival", "srr_queue", "energy_margin",
                   "baseline_config", "optimum", "optimum_time_limit_s", "learning", "learned_profiles",
                   "slowdown"})) {
    if (auto n = root.field("experiment").string()) x.name = *n;
    if (auto p = root.field("testbed").existing_file(base_dir)) x.testbed = *p;
    if (auto p = root.field("dictionary").existing_file(base_dir)) x.dictionary = *p;
    x.scenarios = read_names(root.field("scenarios"), {scenario_names.begin(), scenario_names.end()}, "scenario");
    x.policies = read_names(root.field("policies"), known_policies, "policy");
    if (auto s = root.field("seeds").integer(1, 100000)) x.seeds = static_cast<int>(*s);
    if (auto j = root.field("jobs").integer(1, 1000000)) x.jobs = static_cast<int>(*j);
    if (auto d = root.field("draw"); d.present()) {
      if (auto v = d.string_in({"uniform", "balanced"})) x.draw = *v;
    }
    if (auto s = root.field("noise_sigma").number(0, 2)) x.noise_sigma = *s;
    if (auto f = root.field("failure_probability"); f.present()) {
      if (auto p = f.number(0, 1)) x.failure_probability = *p;
    }
    if (auto t = root.field("tick_s").number(0, 3600, true)) x.tick = Seconds{*t};
    auto choice = [&](const char* name, std::string& out, std::initializer_list<std::string_view> allowed) {
      if (auto f = root.field(name); f.present())
        if (auto v = f.string_in(allowed)) out = *v;
    };
    choice("late", x.late, {"run", "drop"});
    choice("interarrival", x.interarrival, {"inference", "total"});
    choice("srr_queue", x.srr_queue, {"per-worker", "global"});
    choice("baseline_config", x.baseline_config, {"testbed", "default-mode"});
    if (auto f = root.field("energy_margin"); f.present())
      if (auto m = f.number(0, 1, true)) x.energy_margin = *m;
    if (auto f = root.field("optimum"); f.present())
      if (auto b = f.boolean()) x.optimum = *b;
    if (auto f = root.field("optimum_time_limit_s"); f.present())
      if (auto t = f.number(0, 86400, true)) x.optimum_time_limit_s = *t;
    // `learning: true`, or {enabled, alpha, min_observations, min_ratio, max_ratio}.
    if (auto f = root.field("learning"); f.present()) {
      if (f.raw()->is_boolean()) {
        x.learning = *f.boolean();
      } else if (f.object({"enabled", "alpha", "min_observations", "min_ratio", "max_ratio"})) {
        if (auto b = f.field("enabled").boolean()) x.learning = *b;
        read_learning_settings(f, x.learning_settings);
      }
    }
    if (auto f = root.field("learned_profiles"); f.present()) {
      if (auto p = f.existing_file(base_dir)) x.learned_profiles = *p;
      if (!x.learning) f.error("learned profiles are read only with learning on (learning: true)");
    }
    // {node: factor}: each node's true execution times times the factor.
    if (auto f = root.field("slowdown"); f.present()) {
      if (!f.raw()->is_object()) f.expected("a mapping of node names to factors, e.g. {x86: 1.4}");
      for (const auto& node : f.keys())
        if (auto v = f.field(node).number(0, 100, true)) x.slowdown.emplace(node, *v);
    }
  }
  diagnostics.throw_if_any();
  return x;
}

Experiment load_experiment(const std::filesystem::path& path, const std::set<std::string>& known_policies) {
  return read_experiment(read_yaml_file(path), path.parent_path(), known_policies);
}

}  // namespace synergai::config
