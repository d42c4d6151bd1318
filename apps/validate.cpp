// `synergai validate FILE...`: load and check configuration files (testbeds,
// dictionaries, experiments, performance models, service files), then print
// what they hold. Dictionaries are checked against a testbed when one is given
// (as --testbed or among the files, matched by name), learned profiles
// against the only testbed given. Exit 2 on any problem.
#include "actors/policies/policy.hpp"
#include "apps/cli.hpp"
#include "config/dictionary.hpp"
#include "config/experiment.hpp"
#include "config/learned_profiles.hpp"
#include "config/service.hpp"
#include "config/testbed.hpp"
#include "profiling/performance_model.hpp"

#include <fmt/format.h>

#include <map>
#include <set>

namespace synergai::app {
namespace {

using namespace synergai::config;

enum class Kind { testbed, dictionary, experiment, model, service, learned };

Kind detect_kind(const std::string& file, const std::string& forced) {
  if (forced == "testbed") return Kind::testbed;
  if (forced == "dictionary") return Kind::dictionary;
  if (forced == "experiment") return Kind::experiment;
  if (forced == "model") return Kind::model;
  if (forced == "service") return Kind::service;
  if (forced == "learned") return Kind::learned;
  auto ext = std::filesystem::path{file}.extension().string();
  if (ext == ".json") {
    auto doc = read_json_file(file);
    if (doc.root.is_object() && doc.root.value("format", "") == learned_profiles_format) return Kind::learned;
    return Kind::dictionary;
  }
  if (ext == ".yaml" || ext == ".yml") {
    auto doc = read_yaml_file(file);
    if (profiling::is_performance_model(doc)) return Kind::model;
    if (doc.root.is_object() && doc.root.contains("nodes")) return Kind::testbed;
    if (doc.root.is_object() && doc.root.contains("experiment")) return Kind::experiment;
    if (doc.root.is_object() && doc.root.contains("service")) return Kind::service;
  }
  throw ValidationError{{Diagnostic{file, std::nullopt, "",
                                    "cannot tell what kind of file this is (a testbed YAML has `nodes`, an experiment "
                                    "YAML has `experiment`, a service YAML has `service`, a dictionary is .json); "
                                    "say it with --kind"}}};
}

void print_testbed(const std::string& file, const Testbed& tb) {
  fmt::print("{}: testbed \"{}\": {} nodes, {} engines\n", file, tb.name, tb.nodes.size(), tb.engines.size());
  for (const auto& n : tb.nodes) {
    fmt::print("  node {:<8} {} {:<5} {:>3} CPUs {:>6.1f} GiB  {} configurations", n.name, to_string(n.arch),
               to_string(n.tier), n.cpus, n.memory_gib, n.configurations().size());
    if (!n.thread_options.empty()) fmt::print("  threads {}", fmt::join(n.thread_options, ","));
    if (n.has_modes())
      fmt::print("  {} power modes, default {}, switch {:.1f} s", n.power_modes.size(), *n.default_mode,
                 n.mode_switch_latency.count());
    fmt::print("\n");
  }
  for (const auto& e : tb.engines) fmt::print("  engine {}\n", e);
}

void print_dictionary(const std::string& file, const Dictionary& d, const Testbed* tb) {
  fmt::print("{}: dictionary for testbed \"{}\": {} points, {} optima{}\n", file, d.testbed, d.points().size(),
             d.optimum_count(), tb ? " (checked against the testbed)" : " (no testbed given: references unchecked)");
  std::set<std::pair<std::string, std::string>> pairs;
  for (const auto& p : d.points()) pairs.emplace(p.engine, p.node);
  for (const auto& [engine, node] : pairs)
    if (const auto* best = d.optimum(engine, node))
      fmt::print("  c* {:<24} on {:<6} {:<18} {:9.2f} QPS  pre-processing {:7.2f} s\n", engine, node,
                 fmt::format("{}", best->config), best->qps, best->preprocessing.count());
}

void print_experiment(const std::string& file, const Experiment& x) {
  fmt::print("{}: experiment \"{}\": {} scenarios x {} policies x {} seeds, {} jobs per run\n", file, x.name,
             x.scenarios.size(), x.policies.size(), x.seeds, x.jobs);
  fmt::print("  testbed {}\n  dictionary {}\n  scenarios {}\n  policies {}\n  noise sigma {}, failure probability "
             "{}, tick {} s\n",
             x.testbed.string(), x.dictionary.string(), fmt::join(x.scenarios, " "), fmt::join(x.policies, " "),
             x.noise_sigma, x.failure_probability, x.tick.count());
  for (const auto& [node, factor] : x.slowdown)
    fmt::print("  slowdown: {} runs take {} x their modelled time\n", node, factor);
  if (x.learning)
    fmt::print("  learned profiles on (alpha {}, after {} runs){}\n", x.learning_settings.alpha,
               x.learning_settings.min_observations,
               x.learned_profiles.empty() ? "" : ", starting from " + x.learned_profiles.string());
}

void print_learned(const std::string& file, const LearnedEntries& l) {
  fmt::print("{}: learned profiles: {} points, {} nodes\n", file, l.points.size(), l.nodes.size());
  for (const auto& [node, e] : l.nodes)
    fmt::print("  node {:<8} ratio {:.3f} over {} runs ({} rejected)\n", node, e.ratio, e.observations, e.rejected);
}

// An experiment's slowdown names nodes of its testbed.
void check_slowdown(const std::string& file, const Experiment& x, const Testbed& tb) {
  std::vector<Diagnostic> problems;
  for (const auto& [node, factor] : x.slowdown)
    if (!tb.find_node(node))
      problems.push_back(Diagnostic{file, std::nullopt, "slowdown." + node,
                                    fmt::format("unknown node \"{}\" (not in testbed {})", node, tb.name)});
  if (!problems.empty()) throw ValidationError{std::move(problems)};
}

void print_service(const std::string& file, const ServiceConfig& s, const Testbed& tb) {
  fmt::print("{}: service \"{}\": listen {}:{}, policy {}, tick {} s, executor {}, testbed \"{}\", journal {}{}\n",
             file, s.name, s.listen.host, s.listen.port, s.policy, s.tick.count(), to_string(s.executor), tb.name,
             s.journal.string(), s.token_file ? ", bearer token required" : "");
}

int validate(const std::vector<std::string>& files, const std::string& forced_kind, const std::string& testbed_file) {
  std::vector<Diagnostic> problems;
  auto attempt = [&](auto&& f) {
    try {
      f();
    } catch (const ValidationError& e) {
      problems.insert(problems.end(), e.diagnostics().begin(), e.diagnostics().end());
    }
  };

  std::map<std::string, Kind> kinds;
  for (const auto& f : files) attempt([&] { kinds[f] = detect_kind(f, forced_kind); });

  // Testbeds first: dictionaries are checked against them.
  std::map<std::string, Testbed> testbeds;  // by testbed name
  auto add_testbed = [&](const std::string& f, bool print) {
    attempt([&] {
      auto tb = load_testbed(f);
      if (print) print_testbed(f, tb);
      if (!tb.performance_model.empty()) {
        auto model = profiling::load_performance_model(tb.performance_model, tb);
        if (print)
          fmt::print("  performance model {}: {} engines x {} nodes, {} queries per profiling run\n",
                     tb.performance_model.string(), model.engines.size(), model.nodes.size(), model.profiling_queries);
      }
      testbeds.emplace(tb.name, std::move(tb));
    });
  };
  if (!testbed_file.empty()) add_testbed(testbed_file, false);
  for (const auto& [f, k] : kinds)
    if (k == Kind::testbed) add_testbed(f, true);

  auto testbed_for = [&](const std::string& dictionary_file) -> const Testbed* {
    auto doc = read_json_file(dictionary_file);
    if (doc.root.is_object() && doc.root.contains("testbed") && doc.root["testbed"].is_string())
      if (auto it = testbeds.find(doc.root["testbed"].get<std::string>()); it != testbeds.end()) return &it->second;
    return testbeds.size() == 1 ? &testbeds.begin()->second : nullptr;
  };

  for (const auto& [f, k] : kinds) {
    if (k == Kind::dictionary) {
      attempt([&] {
        const Testbed* tb = testbed_for(f);
        print_dictionary(f, load_dictionary(f, tb), tb);
      });
    } else if (k == Kind::model) {
      attempt([&] {
        auto doc = read_yaml_file(f);
        const Testbed* tb = nullptr;
        if (doc.root.contains("testbed") && doc.root["testbed"].is_string())
          if (auto it = testbeds.find(doc.root["testbed"].get<std::string>()); it != testbeds.end()) tb = &it->second;
        if (!tb && testbeds.size() == 1) tb = &testbeds.begin()->second;
        if (!tb)
          throw ValidationError{{Diagnostic{f, std::nullopt, "",
                                            "a performance model is checked against its testbed: give it with "
                                            "--testbed or among the files"}}};
        auto model = profiling::read_performance_model(doc, *tb);
        fmt::print("{}: performance model for testbed \"{}\": {} engines x {} nodes\n", f, tb->name,
                   model.engines.size(), model.nodes.size());
      });
    } else if (k == Kind::experiment) {
      attempt([&] {
        auto x = load_experiment(f, policy_names());
        auto tb = load_testbed(x.testbed);
        load_dictionary(x.dictionary, &tb);
        check_slowdown(f, x, tb);
        if (!x.learned_profiles.empty()) load_learned_profiles(x.learned_profiles, &tb);
        print_experiment(f, x);
      });
    } else if (k == Kind::service) {
      attempt([&] {
        auto s = load_service_config(f, policy_names());
        auto tb = load_testbed(s.testbed);
        load_dictionary(s.dictionary, &tb);
        print_service(f, s, tb);
      });
    } else if (k == Kind::learned) {
      attempt([&] {
        const Testbed* tb = testbeds.size() == 1 ? &testbeds.begin()->second : nullptr;
        print_learned(f, load_learned_profiles(f, tb));
      });
    }
  }
  if (!problems.empty()) throw ValidationError{std::move(problems)};
  return 0;
}

}  // namespace

void add_validate_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("validate",
                                 "Check testbed, dictionary, experiment and service files and print what they hold");
  static std::vector<std::string> files;
  static std::string kind = "auto";
  static std::string testbed;
  cmd->add_option("files", files, "Files to check")->required();
  cmd->add_option("--kind", kind,
                  "auto|testbed|dictionary|experiment|model|service|learned (auto: from extension and content)")
      ->check(CLI::IsMember({"auto", "testbed", "dictionary", "experiment", "model", "service", "learned"}))
      ->capture_default_str();
  cmd->add_option("--testbed", testbed, "Testbed to check dictionaries against")->check(CLI::ExistingFile);
  set_action(cmd, [] { return validate(files, kind, testbed); });
}

}  // namespace synergai::app
