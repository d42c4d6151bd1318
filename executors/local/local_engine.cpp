#include "executors/local/local_engine.hpp"

#include "support/errors.hpp"
#include "support/files.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <sched.h>
#include <string.h>

#include <cstdlib>
#include <set>

namespace synergai {

std::vector<std::string> engine_argv(const EngineCommand& command, const std::filesystem::path& model, int threads,
                                     int queries) {
  return {command.program.string(), "--log-level", "warn", "engine", "run",
          "--model", model.string(), "--threads", std::to_string(threads),
          "--queries", std::to_string(queries), "--warmup", std::to_string(command.warmup)};
}

std::filesystem::path model_path(const EngineSpec& engine, const std::filesystem::path& models) {
  if (engine.model_file.empty())
    throw InputError{fmt::format("engine {} has no model_file: the local executor needs one", engine.id)};
  std::filesystem::path file{engine.model_file};
  return file.is_absolute() ? file : models / file;
}

std::filesystem::path self_executable() {
  std::error_code ec;
  auto p = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::filesystem::path{} : p;
}

std::filesystem::path default_models_dir() {
  if (const char* env = std::getenv("SYNERGAI_MODELS"); env && *env) return env;
  auto exe = self_executable();
  if (exe.empty()) return "models";
  return (exe.parent_path().parent_path() / "models").lexically_normal();
}

std::string failure_reason(const ChildExit& e, Seconds time_limit) {
  auto last_line = [&] {
    auto s = e.err;
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
    auto nl = s.rfind('\n');
    return nl == std::string::npos ? s : s.substr(nl + 1);
  };
  if (e.timed_out) return fmt::format("engine timed out after {:.1f} s and was killed", time_limit.count());
  if (e.killed) return "engine killed";
  if (!e.exited) {
    const char* name = ::sigdescr_np(e.signal);
    return fmt::format("engine crashed: signal {} ({})", e.signal, name ? name : "unknown");
  }
  if (e.code != 0) {
    auto line = last_line();
    return line.empty() ? fmt::format("engine exited with status {}", e.code)
                        : fmt::format("engine exited with status {}: {}", e.code, line);
  }
  return {};
}

std::optional<EngineResult> parse_engine_result(std::string_view out) {
  auto j = nlohmann::json::parse(out, nullptr, false);
  auto number = [&](const char* key) {
    return j.is_object() && j.contains(key) && j[key].is_number() ? j[key].get<double>() : -1.0;
  };
  EngineResult r{number("qps"), number("preprocessing_s"), number("inference_s")};
  if (!(r.qps > 0) || r.preprocessing_s < 0 || !(r.inference_s > 0)) return std::nullopt;
  return r;
}

namespace {

cpu_set_t own_affinity() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (::sched_getaffinity(0, sizeof set, &set) != 0) throw RuntimeError{"sched_getaffinity failed"};
  return set;
}

}  // namespace

int available_cpus() {
  auto set = own_affinity();
  return CPU_COUNT(&set);
}

}  // namespace synergai

namespace synergai::profiling {

LocalExecutor::LocalExecutor(const config::Testbed& testbed, const std::vector<PlannedRun>& plan,
                             LocalOptions options)
    : testbed_{testbed}, options_{std::move(options)} {
  std::set<std::string> engines, nodes;
  for (const auto& r : plan) {
    if (r.config.mode)
      throw InputError{fmt::format("node {}: the local executor runs no power modes (run {})", r.node, r.id)};
    engines.insert(r.engine);
    nodes.insert(r.node);
  }
  std::string missing;
  for (const auto& id : engines) {
    auto model = model_path(*testbed.find_engine(id), options_.engine.models);
    if (!std::filesystem::is_regular_file(model)) missing += fmt::format("engine {}: no model file {}\n", id, model.string());
  }
  if (!missing.empty())
    throw InputError{missing + "(build the synergai_models target for the generated models, or give --models DIR)"};
  const auto allowed = own_affinity();
  const int count = CPU_COUNT(&allowed);
  for (const auto& name : nodes) {
    const auto node = *testbed.find_profile(name);
    for (int cpu : node.cpu_set)
      if (cpu >= CPU_SETSIZE || !CPU_ISSET(cpu, &allowed))
        throw InputError{fmt::format("node {}: cpu_set names CPU {}, which this process may not use", name, cpu)};
    if (node.cpu_set.empty() && node.cpus > count)
      throw InputError{fmt::format("node {}: declares {} CPUs, but this process may use only {}", name, node.cpus,
                                   count)};
  }
}

RunOutcome LocalExecutor::run(const PlannedRun& run, int, const std::filesystem::path& dir) {
  const auto node = *testbed_.find_profile(run.node);
  auto model = model_path(*testbed_.find_engine(run.engine), options_.engine.models);
  auto child = Child::start({engine_argv(options_.engine, model, run.config.threads, options_.queries), node.cpu_set});
  auto exit = child->wait(options_.timeout);
  write_file_atomically(dir / "engine.json", exit.out);
  if (!exit.err.empty()) write_file_atomically(dir / "engine.stderr.txt", exit.err);

  RunOutcome out;
  if (auto why = failure_reason(exit, options_.timeout); !why.empty()) {
    out.failure = "job failed: " + why;
    return out;
  }
  auto result = parse_engine_result(exit.out);
  if (!result) {
    out.failure = "log unparsable: the engine printed no complete result (engine.json)";
    return out;
  }
  out.ok = true;
  out.qps = result->qps;
  out.preprocessing_s = result->preprocessing_s;
  out.inference_s = result->inference_s;
  out.queries = options_.queries;
  out.loadgen_version = "synergai engine " SYNERGAI_VERSION;
  return out;
}

}  // namespace synergai::profiling
