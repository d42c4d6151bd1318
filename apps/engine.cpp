// `synergai engine ...`: the local inference engine (docs/local.md).
//   run      one SingleStream measurement of an ONNX model; prints JSON
// (A local testbed is profiled with `synergai profile run --executor local`.)
#include "apps/cli.hpp"
#include "engine/engine.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace synergai::app {
namespace {

int engine_run(const engine::RunOptions& o) {
  auto result = engine::run_single_stream(o);
  fmt::print("{}\n", engine::to_json(result).dump(2));
  return 0;
}

}  // namespace

void add_engine_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("engine", "The local inference engine: ONNX models on this machine's CPU (OpenCV DNN)");
  cmd->require_subcommand(1);

  static engine::RunOptions run;
  auto* r = cmd->add_subcommand("run", "Run an ONNX model SingleStream (one query at a time) and print JSON timings");
  r->add_option("--model", run.model, "ONNX model file")->required();
  r->add_option("--threads", run.threads, "OpenCV threads")->check(CLI::Range(1, 1024))->capture_default_str();
  r->add_option("--queries", run.queries, "Measured queries")->check(CLI::Range(1, 100000000))->capture_default_str();
  r->add_option("--warmup", run.warmup, "Untimed warm-up queries, counted in pre-processing")
      ->check(CLI::Range(0, 1000000))
      ->capture_default_str();
  r->add_option("--seed", run.seed, "Seed of the random input")->capture_default_str();
  set_action(r, [] { return engine_run(run); });

}

}  // namespace synergai::app
