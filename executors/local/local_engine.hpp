// The local inference engine as both phases run it on this machine
// (docs/local.md): a child process `synergai engine run --model M --threads K
// --queries Q` (no shell), pinned to a node's `cpu_set`. This file holds its
// command line, where its models are, how a failed child is explained, and
// the profiling campaign's `local` executor, which measures one run per child.
#pragma once

#include "messages/engine.hpp"
#include "messages/time.hpp"
#include "profiling/campaign.hpp"
#include "support/process.hpp"

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace synergai {

// How to start the engine: the synergai executable, the folder of relative
// model files, the untimed warm-up queries of each run.
struct EngineCommand {
  std::filesystem::path program;
  std::filesystem::path models;
  int warmup = 1;
};

// The engine command line of a run: program engine run --model ... (no shell).
std::vector<std::string> engine_argv(const EngineCommand& command, const std::filesystem::path& model, int threads,
                                     int queries);
// An engine's model file: absolute as given, else relative to `models`.
// Throws InputError if the engine names none.
std::filesystem::path model_path(const EngineSpec& engine, const std::filesystem::path& models);
// Where `synergai` expects the generated models: SYNERGAI_MODELS if set, else
// <directory of the running executable>/../models (the build tree's models/).
std::filesystem::path default_models_dir();
std::filesystem::path self_executable();

// A readable reason for a failed engine exit, or empty when it succeeded.
std::string failure_reason(const ChildExit& e, Seconds time_limit);

// The timings in what the engine printed, when it printed a complete result:
// a JSON object with qps > 0, preprocessing_s >= 0 and inference_s > 0.
struct EngineResult {
  double qps = 0;
  double preprocessing_s = 0;
  double inference_s = 0;
};
std::optional<EngineResult> parse_engine_result(std::string_view out);

// The CPUs this process may run on (its own affinity mask).
int available_cpus();

}  // namespace synergai

namespace synergai::profiling {

struct LocalOptions {
  EngineCommand engine;
  int queries = 20;          // measured queries per run
  Seconds timeout{600};      // one run's time limit; past it the child is killed
};

// Runs each planned run as a pinned engine child and records what it printed
// (engine.json, engine.stderr.txt in the run's folder). Local nodes have no
// power modes. The constructor checks, before anything runs, that every
// engine of the plan has a model file and every node fits this machine.
class LocalExecutor : public Executor {
 public:
  LocalExecutor(const config::Testbed& testbed, const std::vector<PlannedRun>& plan, LocalOptions options);
  std::string name() const override { return "local"; }
  RunOutcome run(const PlannedRun& run, int attempt, const std::filesystem::path& dir) override;

 private:
  const config::Testbed& testbed_;
  LocalOptions options_;
};

}  // namespace synergai::profiling
