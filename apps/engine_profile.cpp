// `synergai engine profile`: the offline phase on this machine. Measures every
// engine (with a model_file) x node x thread option of a local testbed with the
// engine, each run a child process pinned to the node's cpu_set exactly as the
// local executor runs jobs, and writes a configuration dictionary (source
// "local") with c* chosen the usual way.
#include "actors/local_executor.hpp"
#include "apps/cli.hpp"
#include "config/dictionary.hpp"
#include "config/testbed.hpp"
#include "support/errors.hpp"
#include "support/log.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace synergai::app {
namespace {

struct ProfileArgs {
  std::string testbed = "config/testbeds/local.yaml";
  std::string out;
  std::string models;
  int queries = 20;
  int warmup = 2;
  double timeout_s = 600;
};

int engine_profile(const ProfileArgs& a) {
  auto testbed = config::load_testbed(a.testbed);
  LocalExecutorConfig ex;
  ex.program = self_executable();
  ex.models = a.models.empty() ? default_models_dir() : std::filesystem::path{a.models};
  ex.warmup = a.warmup;
  config::Dictionary dictionary;
  dictionary.testbed = testbed.name;
  fmt::print("{:<20} {:<8} {:>7} {:>9} {:>8} {:>10}\n", "engine", "node", "threads", "qps", "speedup", "preproc_s");
  for (const auto& engine : testbed.engines) {
    if (engine.model_file.empty()) {
      log::warn("engine", "engine {} has no model_file: not profiled", engine.id);
      continue;
    }
    auto model = model_path(engine, ex.models);
    if (!std::filesystem::is_regular_file(model))
      throw InputError{fmt::format("engine {}: no model file {} (build the synergai_models target, or give --models)",
                                   engine.id, model.string())};
    for (const auto& node : testbed.nodes) {
      double one_thread_qps = 0;
      for (const auto& config : node.configurations()) {
        auto exit = Child::start({engine_argv(ex, model, config.threads, a.queries), node.cpu_set})
                        ->wait(Seconds{a.timeout_s});
        if (auto why = failure_reason(exit, Seconds{a.timeout_s}); !why.empty())
          throw RuntimeError{fmt::format("{} on {} with {} threads: {}", engine.id, node.name, config.threads, why)};
        auto r = nlohmann::json::parse(exit.out, nullptr, false);
        if (r.is_discarded() || !r.is_object() || !r.contains("qps"))
          throw RuntimeError{fmt::format("{} on {}: the engine printed no result", engine.id, node.name)};
        ProfilePoint p;
        p.engine = engine.id;
        p.node = node.name;
        p.config = config;
        p.qps = r.at("qps").get<double>();
        p.preprocessing = Seconds{r.at("preprocessing_s").get<double>()};
        p.inference = Seconds{r.at("inference_s").get<double>()};
        p.queries = a.queries;
        p.source = "local";
        if (config.threads == 1) one_thread_qps = p.qps;
        fmt::print("{:<20} {:<8} {:>7} {:>9.2f} {:>8} {:>10.3f}\n", p.engine, p.node, config.threads, p.qps,
                   one_thread_qps > 0 ? fmt::format("{:.2f}x", p.qps / one_thread_qps) : "-",
                   p.preprocessing.count());
        dictionary.add(std::move(p));
      }
    }
  }
  dictionary.choose_optima(testbed);
  if (!a.out.empty()) {
    config::save_dictionary(dictionary, a.out);
    log::info("engine", "wrote {} ({} points)", a.out, dictionary.points().size());
  }
  return 0;
}

}  // namespace

void add_engine_profile_command(CLI::App& engine) {
  static ProfileArgs a;
  auto* p = engine.add_subcommand(
      "profile", "Profile a local testbed's engines on its nodes (pinned child processes) into a dictionary");
  p->add_option("--testbed", a.testbed, "Local testbed YAML (nodes with cpu_set, engines with model_file)")
      ->check(CLI::ExistingFile)
      ->capture_default_str();
  p->add_option("--out", a.out, "Write the dictionary JSON here");
  p->add_option("--models", a.models, "Folder of relative model files (default: SYNERGAI_MODELS, else the build tree's models/)");
  p->add_option("--queries", a.queries, "Measured queries per point")->check(CLI::Range(1, 1000000))->capture_default_str();
  p->add_option("--warmup", a.warmup, "Warm-up queries per point")->check(CLI::Range(0, 1000000))->capture_default_str();
  p->add_option("--timeout", a.timeout_s, "Seconds one measurement may take")->check(CLI::PositiveNumber)->capture_default_str();
  set_action(p, [] { return engine_profile(a); });
}

}  // namespace synergai::app
