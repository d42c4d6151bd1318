#include "experiments/experiment_runner.hpp"

#include "actors/runtime.hpp"
#include "experiments/scenario.hpp"
#include "support/errors.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <exception>
#include <map>
#include <mutex>
#include <thread>

namespace synergai::experiments {
namespace {

std::string describe(const RunKey& k) {
  return fmt::format("run {} / {} / seed {}", k.scenario, k.policy, k.seed);
}

std::string format_duration(double s) {
  if (s < 60) return fmt::format("{:.1f} s", s);
  return fmt::format("{}m{:02d}s", static_cast<int>(s) / 60, static_cast<int>(s) % 60);
}

}  // namespace

std::vector<RunKey> plan_runs(const config::Experiment& experiment) {
  std::vector<RunKey> plan;
  plan.reserve(experiment.scenarios.size() * experiment.policies.size() * static_cast<std::size_t>(experiment.seeds));
  for (const auto& scenario : experiment.scenarios)
    for (const auto& policy : experiment.policies)
      for (int seed = 1; seed <= experiment.seeds; ++seed)
        plan.push_back(RunKey{scenario, policy, static_cast<std::uint64_t>(seed)});
  return plan;
}

unsigned default_threads() {
  auto n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : n;
}

std::map<std::pair<std::string, std::uint64_t>, std::vector<JobSpec>> experiment_jobs(
    const config::Experiment& experiment, const config::Testbed& testbed, const config::Dictionary& dictionary) {
  const auto draw = parse_job_draw(experiment.draw);
  if (!draw) throw InputError{fmt::format("experiment {}: unknown job draw \"{}\"", experiment.name, experiment.draw)};
  const auto interarrival = parse_interarrival(experiment.interarrival);
  if (!interarrival)
    throw InputError{fmt::format("experiment {}: unknown interarrival reading \"{}\"", experiment.name,
                                 experiment.interarrival)};
  for (const auto& [node, factor] : experiment.slowdown)
    if (!testbed.find_node(node))
      throw InputError{fmt::format("experiment {}: slowdown: unknown node \"{}\" (not in testbed {})", experiment.name,
                                   node, testbed.name)};
  // The jobs of a (scenario, seed) are the same for every policy: draw them
  // once, before any run, so that a job the testbed cannot serve is reported
  // as bad input before anything is written.
  std::map<std::pair<std::string, std::uint64_t>, std::vector<JobSpec>> inputs;
  for (const auto& scenario_name : experiment.scenarios) {
    for (int s = 1; s <= experiment.seeds; ++s) {
      const auto seed = static_cast<std::uint64_t>(s);
      auto scenario = parse_scenario(scenario_name);
      scenario.jobs = experiment.jobs;
      scenario.draw = *draw;
      scenario.interarrival = *interarrival;
      auto jobs = generate_jobs(scenario, testbed, dictionary, seed);
      try {
        check_jobs(testbed, dictionary, jobs);
      } catch (const InputError& e) {
        throw InputError{fmt::format("scenario {} seed {}: {}", scenario_name, seed, e.what())};
      }
      inputs[{scenario_name, seed}] = std::move(jobs);
    }
  }
  return inputs;
}

RuntimeOptions runtime_options(const config::Experiment& experiment, const RunKey& key) {
  RuntimeOptions ro;
  ro.policy = key.policy;
  ro.seed = key.seed;
  ro.tick = experiment.tick;
  ro.noise_sigma = experiment.noise_sigma;
  ro.failure_probability = experiment.failure_probability;
  ro.late_jobs = experiment.late == "drop" ? LateJobs::drop : LateJobs::run;
  ro.policy_options.srr_global_queue = experiment.srr_queue == "global";
  ro.policy_options.energy_deadline_margin = experiment.energy_margin;
  ro.learning = experiment.learning;  // a fresh store per run: runs stay independent and deterministic
  ro.learning_settings = experiment.learning_settings;
  ro.slowdown = experiment.slowdown;
  return ro;
}

config::Testbed with_baseline_reading(const config::Testbed& testbed, const std::string& reading) {
  if (reading == "testbed") return testbed;
  if (reading != "default-mode")
    throw InputError{fmt::format("unknown baseline_config reading \"{}\" (known: testbed, default-mode)", reading)};
  auto out = testbed;
  for (auto& node : out.nodes) {
    if (!node.has_modes() || !node.default_mode) continue;
    const auto* mode = node.find_mode(*node.default_mode);
    if (!mode) throw InputError{fmt::format("node {}: default mode {} is not one of its modes", node.name, *node.default_mode)};
    node.baseline_config = ExecConfig{mode->online_cpus, mode->id};
  }
  return out;
}

std::vector<RunOutcome> run_experiment(const config::Experiment& experiment, const config::Testbed& given_testbed,
                                       const config::Dictionary& dictionary, const RunnerOptions& options) {
  const auto plan = plan_runs(experiment);
  const auto testbed = with_baseline_reading(given_testbed, experiment.baseline_config);
  const auto inputs = experiment_jobs(experiment, testbed, dictionary);
  const Performance performance{testbed, dictionary};
  // Every run starts from the same learned profiles, each with its own copy.
  config::LearnedEntries learned_start;
  if (!experiment.learned_profiles.empty())
    learned_start = config::load_learned_profiles(experiment.learned_profiles, &testbed);

  std::vector<RunOutcome> results(plan.size());
  std::vector<std::exception_ptr> errors(plan.size());
  std::atomic<std::size_t> next{0};
  std::atomic<bool> failed{false};
  std::size_t done = 0;
  std::mutex progress_mutex;

  auto cancelled = [&] { return options.cancel && options.cancel->load(); };
  auto worker = [&] {
    for (;;) {
      if (failed.load() || cancelled()) return;
      auto i = next.fetch_add(1);
      if (i >= plan.size()) return;
      const auto& key = plan[i];
      try {
        auto run_options = runtime_options(experiment, key);
        if (experiment.learning && !experiment.learned_profiles.empty())
          run_options.learned_profiles =
              std::make_shared<config::LearnedProfiles>(experiment.learning_settings, learned_start);
        auto result = run_virtual(testbed, dictionary, inputs.at({key.scenario, key.seed}), run_options);
        if (!result.anomalies.empty())
          throw RuntimeError{fmt::format("{} anomal{}: {}", result.anomalies.size(),
                                         result.anomalies.size() == 1 ? "y" : "ies",
                                         fmt::join(result.anomalies, "; "))};
        if (result.jobs.size() != inputs.at({key.scenario, key.seed}).size())
          throw RuntimeError{fmt::format("{} of {} job records came back", result.jobs.size(),
                                         inputs.at({key.scenario, key.seed}).size())};
        results[i].key = key;
        results[i].metrics = compute_metrics(result.jobs, performance);
        results[i].energy = run_energy(testbed, result.jobs);
        results[i].jobs = std::move(result.jobs);
      } catch (...) {
        errors[i] = std::current_exception();
        failed.store(true);
        return;
      }
      if (options.progress) {
        std::lock_guard lock{progress_mutex};
        options.progress(++done, plan.size());
      }
    }
  };

  unsigned threads = options.threads == 0 ? default_threads() : options.threads;
  if (threads > plan.size()) threads = static_cast<unsigned>(std::max<std::size_t>(plan.size(), 1));
  if (threads <= 1) {
    worker();
  } else {
    std::vector<std::jthread> pool;
    pool.reserve(threads);
    for (unsigned t = 0; t < threads; ++t) pool.emplace_back(worker);
  }  // joined here

  for (std::size_t i = 0; i < plan.size(); ++i) {
    if (!errors[i]) continue;
    try {
      std::rethrow_exception(errors[i]);
    } catch (const InputError& e) {
      throw InputError{fmt::format("{}: {}", describe(plan[i]), e.what())};
    } catch (const std::exception& e) {
      throw RuntimeError{fmt::format("{}: {}", describe(plan[i]), e.what())};
    }
  }
  if (cancelled()) throw RuntimeError{"interrupted"};
  return results;
}

ScheduleHint schedule_of(const config::Testbed& testbed, const std::vector<JobRecord>& jobs) {
  ScheduleHint hint;
  for (const auto& node : testbed.nodes) {
    std::vector<const JobRecord*> here;
    for (const auto& j : jobs)
      if (j.node == node.name && j.config && j.started_at && !is_violation(j)) here.push_back(&j);
    std::stable_sort(here.begin(), here.end(), [](auto* a, auto* b) { return *a->started_at < *b->started_at; });
    std::vector<std::pair<std::string, ExecConfig>> list;
    for (const auto* j : here) list.emplace_back(j->spec.id, *j->config);
    hint.emplace_back(node.name, std::move(list));
  }
  return hint;
}

std::vector<OptimumOutcome> solve_optima(const config::Experiment& experiment, const config::Testbed& testbed,
                                         const config::Dictionary& dictionary, const RunnerOptions& options,
                                         const std::vector<RunOutcome>* runs) {
  if (!experiment.slowdown.empty())
    throw InputError{fmt::format("experiment {}: the clairvoyant optimum does not model a slowdown; run it without one",
                                 experiment.name)};
  const auto inputs = experiment_jobs(experiment, testbed, dictionary);
  std::vector<OptimumOutcome> out;
  for (const auto& scenario : experiment.scenarios)
    for (int s = 1; s <= experiment.seeds; ++s) out.push_back(OptimumOutcome{scenario, static_cast<std::uint64_t>(s), {}});
  OptimumOptions oo;
  oo.time_limit_s = experiment.optimum_time_limit_s;
  // CBC solves one MILP at a time in a process (optimum.cpp), so the optima
  // are solved one after the other, in plan order.
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (options.cancel && options.cancel->load()) throw RuntimeError{"interrupted"};
    auto& o = out[i];
    DrawnTimes drawn{o.seed, experiment.noise_sigma, experiment.failure_probability};
    oo.hint.clear();
    const RunOutcome* best = nullptr;
    if (runs)
      for (const auto& r : *runs)
        if (r.key.scenario == o.scenario && r.key.seed == o.seed && (!best || r.metrics.violations < best->metrics.violations))
          best = &r;
    if (best) oo.hint = schedule_of(testbed, best->jobs);
    o.result = clairvoyant_optimum(testbed, dictionary, inputs.at({o.scenario, o.seed}), drawn, oo);
    if (options.progress) options.progress(i + 1, out.size());
  }
  return out;
}

std::string optimum_csv(const std::vector<OptimumOutcome>& optima) {
  std::string out = "scenario,seed,violations,bound,proven,id,node,threads,mode,mode_switch,start_s,finish_s\n";
  for (const auto& o : optima) {
    const auto& r = o.result;
    auto head = fmt::format("{},{},{},{},{}", o.scenario, o.seed, r.violations, r.violations_bound, r.proven ? 1 : 0);
    if (r.on_time.empty()) out += head + ",,,,,,,\n";
    for (const auto& j : r.on_time)
      out += fmt::format("{},{},{},{},{},{},{:.6f},{:.6f}\n", head, j.id, j.node, j.config.threads,
                         j.config.mode ? fmt::format("{}", *j.config.mode) : "", j.mode_switch ? 1 : 0, j.start_s,
                         j.finish_s);
  }
  return out;
}

ProgressReporter::ProgressReporter(std::FILE* stream, bool terminal)
    : stream_{stream}, terminal_{terminal}, start_{std::chrono::steady_clock::now()} {}

void ProgressReporter::operator()(std::size_t done, std::size_t total) {
  if (total == 0) return;
  double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  double eta = done == 0 ? 0 : elapsed / static_cast<double>(done) * static_cast<double>(total - done);
  auto pct = static_cast<int>(100 * done / total);
  if (terminal_) {
    constexpr int width = 30;
    int filled = static_cast<int>(width * done / total);
    std::fprintf(stream_, "\r[%s%s] runs %zu/%zu %3d%%  elapsed %s  ETA %s\033[K", std::string(filled, '#').c_str(),
                 std::string(width - filled, '.').c_str(), done, total, pct, format_duration(elapsed).c_str(),
                 format_duration(eta).c_str());
    if (done == total) std::fputc('\n', stream_);
  } else {
    auto decile = 10 * done / total;
    if (decile <= last_decile_ && done != total) return;
    last_decile_ = decile;
    std::fprintf(stream_, "experiment: runs %zu/%zu (%d%%), elapsed %s, ETA %s\n", done, total, pct,
                 format_duration(elapsed).c_str(), format_duration(eta).c_str());
  }
  std::fflush(stream_);
}

}  // namespace synergai::experiments
