// `synergai bench-scheduler`: the scheduler at scale (`make bench-scheduler`,
// docs/results.md). For every cell of the grid (workers x jobs x policy) it
// runs experiments::measure_scale in a child process of its own (so that the
// peak RSS is the cell's) and prints one table: placements per CPU second,
// time to drain, the planning rounds' wall time p50/p99, peak RSS and bytes
// per job, then the growth law it observed between neighbouring cells. A cell
// past --cell-limit-s is stopped and reported as such, and the larger cells in
// its row and column are skipped.
#include "actors/policies/policy.hpp"
#include "apps/cli.hpp"
#include "config/dictionary.hpp"
#include "config/testbed.hpp"
#include "experiments/scheduler_bench.hpp"
#include "support/errors.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <map>
#include <optional>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace synergai::experiments {
// A cell's figures cross from the child process as JSON (its spec stays with the parent).
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(ScaleFigures, setup_cpu_s, load_cpu_s, dictionary_mib, run_cpu_s, placements,
                                   placements_per_cpu_s, drain_s, rounds, round_p50_ms, round_p99_ms, round_max_ms,
                                   peak_rss_mib, bytes_per_job)
}  // namespace synergai::experiments

namespace synergai::app {
namespace {

struct BenchArgs {
  std::string testbed = "config/testbeds/thesis.yaml";
  std::string dictionary = "config/dictionaries/thesis.json";
  std::vector<int> workers{10, 100, 1000};
  std::vector<int> jobs{1000, 10000, 100000};
  std::vector<std::string> policies{"synergai", "slo-mael"};
  double load = 2;
  std::uint64_t seed = 1;
  double cell_limit_s = 60;
  std::string json_out;
  bool in_process = false;  // for profilers: no child per cell (peak RSS then spans the cells)
};

struct Cell {
  experiments::ScaleSpec spec;
  std::optional<experiments::ScaleFigures> figures;
  std::string outcome;  // empty: measured; else why not
};

// Runs one cell in a child process; the child writes its figures as JSON to a pipe.
Cell run_cell(const config::Testbed& base, const config::Dictionary& dictionary, const experiments::ScaleSpec& spec,
              double limit_s) {
  Cell cell{spec, std::nullopt, {}};
  int fds[2];
  if (::pipe(fds) != 0) throw RuntimeError{"bench-scheduler: pipe failed"};
  std::fflush(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) throw RuntimeError{"bench-scheduler: fork failed"};
  if (pid == 0) {
    ::close(fds[0]);
    std::string out;
    try {
      out = nlohmann::json(experiments::measure_scale(base, dictionary, spec)).dump();
    } catch (const std::exception& e) {
      out = nlohmann::json{{"error", e.what()}}.dump();
    }
    for (std::size_t done = 0; done < out.size();) {
      auto n = ::write(fds[1], out.data() + done, out.size() - done);
      if (n <= 0) break;
      done += static_cast<std::size_t>(n);
    }
    ::_exit(0);
  }
  ::close(fds[1]);
  std::string text;
  // Read while waiting: a large answer must not block the child on a full pipe.
  std::thread reader{[&] {
    char buf[4096];
    for (;;) {
      auto n = ::read(fds[0], buf, sizeof buf);
      if (n <= 0) break;
      text.append(buf, static_cast<std::size_t>(n));
    }
  }};
  auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(limit_s);
  int status = 0;
  bool killed = false;
  while (::waitpid(pid, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      killed = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  reader.join();
  ::close(fds[0]);
  if (killed) {
    cell.outcome = fmt::format("> {:g} s", limit_s);
    return cell;
  }
  try {
    auto j = nlohmann::json::parse(text);
    if (j.contains("error")) cell.outcome = "error: " + j["error"].get<std::string>();
    else {
      cell.figures = j.get<experiments::ScaleFigures>();
      cell.figures->spec = spec;
    }
  } catch (const std::exception& e) {
    cell.outcome = fmt::format("no result (exit status {}): {}", status, e.what());
  }
  return cell;
}

// Exponent b of cost = a * size^b between two cells.
std::string exponent(double size_a, double cost_a, double size_b, double cost_b) {
  if (!(cost_a > 0) || !(cost_b > 0) || size_a == size_b) return "-";
  return fmt::format("{:.2f}", std::log(cost_b / cost_a) / std::log(size_b / size_a));
}

int bench(const BenchArgs& a) {
  auto base = config::load_testbed(a.testbed);
  auto dictionary = config::load_dictionary(a.dictionary, &base);
  for (const auto& p : a.policies)
    if (!policy_names().count(p))
      throw InputError{fmt::format("--policy: unknown policy \"{}\" (known: {})", p, fmt::join(policy_names(), ", "))};
  std::vector<Cell> cells;
  // Larger cells of a row or column whose smaller cell ran out of time are skipped.
  std::map<std::pair<std::string, int>, int> over_jobs;     // (policy, workers) -> smallest job count over the limit
  std::map<std::pair<std::string, int>, int> over_workers;  // (policy, jobs) -> smallest worker count over the limit
  fmt::print("bench-scheduler: {} workers x {} jobs x {}; load {}x capacity; seed {}; at most {:g} s per cell\n",
             fmt::join(a.workers, ","), fmt::join(a.jobs, ","), fmt::join(a.policies, ","), a.load, a.seed,
             a.cell_limit_s);
  for (const auto& policy : a.policies)
    for (int w : a.workers)
      for (int n : a.jobs) {
        experiments::ScaleSpec spec{w, n, policy, a.load, a.seed};
        auto oj = over_jobs.find({policy, w});
        auto ow = over_workers.find({policy, n});
        bool skip = (oj != over_jobs.end() && n > oj->second) || (ow != over_workers.end() && w > ow->second);
        if (skip) {
          cells.push_back(Cell{spec, std::nullopt, "skipped (a smaller cell ran out of time)"});
        } else {
          fmt::print("  {} {} workers x {} jobs ...\n", policy, w, n);
          std::fflush(stdout);
          if (a.in_process) cells.push_back(Cell{spec, experiments::measure_scale(base, dictionary, spec), {}});
          else cells.push_back(run_cell(base, dictionary, spec, a.cell_limit_s));
        }
        if (!cells.back().figures) {  // over the limit, or skipped: larger cells would be too
          auto& j = over_jobs[{policy, w}];
          j = j == 0 ? n : std::min(j, n);
          auto& k = over_workers[{policy, n}];
          k = k == 0 ? w : std::min(k, w);
        }
      }

  fmt::print("\n| policy | workers | jobs | start-up (CPU s) | run (CPU s) | placements/CPU-s | drain (virtual s) | "
             "rounds | round p50 (ms) | round p99 (ms) | peak RSS (MiB) | bytes/job |\n");
  fmt::print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
  for (const auto& c : cells) {
    if (!c.figures) {
      fmt::print("| {} | {} | {} | {} |\n", c.spec.policy, c.spec.workers, c.spec.jobs, c.outcome);
      continue;
    }
    const auto& f = *c.figures;
    fmt::print("| {} | {} | {} | {:.3f} | {:.3f} | {:.0f} | {:.0f} | {} | {:.3f} | {:.3f} | {:.1f} | {:.0f} |\n",
               c.spec.policy, c.spec.workers, c.spec.jobs, f.load_cpu_s, f.run_cpu_s, f.placements_per_cpu_s, f.drain_s,
               f.rounds, f.round_p50_ms, f.round_p99_ms, f.peak_rss_mib, f.bytes_per_job);
  }
  fmt::print("\nGrowth of the run's CPU time, as the exponent b of cost ~ size^b between neighbouring cells:\n");
  for (const auto& policy : a.policies) {
    auto find = [&](int w, int n) -> const experiments::ScaleFigures* {
      for (const auto& c : cells)
        if (c.spec.policy == policy && c.spec.workers == w && c.spec.jobs == n && c.figures) return &*c.figures;
      return nullptr;
    };
    for (int w : a.workers)
      for (std::size_t i = 1; i < a.jobs.size(); ++i)
        if (auto *x = find(w, a.jobs[i - 1]), *y = find(w, a.jobs[i]); x && y)
          fmt::print("  {}: {} workers, jobs {} -> {}: b = {}\n", policy, w, a.jobs[i - 1], a.jobs[i],
                     exponent(a.jobs[i - 1], x->run_cpu_s, a.jobs[i], y->run_cpu_s));
    for (int n : a.jobs)
      for (std::size_t i = 1; i < a.workers.size(); ++i)
        if (auto *x = find(a.workers[i - 1], n), *y = find(a.workers[i], n); x && y)
          fmt::print("  {}: {} jobs, workers {} -> {}: b = {}\n", policy, n, a.workers[i - 1], a.workers[i],
                     exponent(a.workers[i - 1], x->run_cpu_s, a.workers[i], y->run_cpu_s));
  }
  if (!a.json_out.empty()) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& c : cells) {
      nlohmann::json j{{"policy", c.spec.policy}, {"workers", c.spec.workers}, {"jobs", c.spec.jobs}};
      if (c.figures) j.update(nlohmann::json(*c.figures));
      else j["outcome"] = c.outcome;
      out.push_back(std::move(j));
    }
    std::FILE* f = std::fopen(a.json_out.c_str(), "w");
    if (!f) throw RuntimeError{fmt::format("cannot write {}", a.json_out)};
    auto text = out.dump(2) + "\n";
    std::fwrite(text.data(), 1, text.size(), f);
    std::fclose(f);
  }
  return 0;
}

}  // namespace

void add_bench_scheduler_command(CLI::App& app) {
  auto args = std::make_shared<BenchArgs>();
  auto* sub = app.add_subcommand(
      "bench-scheduler",
      "Scheduling at scale in virtual time: synthetic testbeds replicating the thesis's node types, Poisson arrivals "
      "at a multiple of their capacity; prints placements per CPU second, time to drain, planning round p50/p99, "
      "peak RSS and the growth law");
  sub->add_option("--testbed", args->testbed, "Base testbed whose node types are replicated")->capture_default_str();
  sub->add_option("--dictionary", args->dictionary, "Its dictionary")->capture_default_str();
  sub->add_option("--workers", args->workers, "Worker counts of the grid")->delimiter(',')->capture_default_str();
  sub->add_option("--jobs", args->jobs, "Job counts of the grid")->delimiter(',')->capture_default_str();
  sub->add_option("--policy", args->policies, "Policies of the grid")->delimiter(',')->capture_default_str();
  sub->add_option("--load", args->load, "Arrival rate as a multiple of the testbed's service rate")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  sub->add_option("--seed", args->seed, "Seed of the job draw and the arrivals")->capture_default_str();
  sub->add_option("--cell-limit-s", args->cell_limit_s, "Stop a cell after this many seconds")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  sub->add_option("--json", args->json_out, "Also write every cell's figures to this JSON file");
  sub->add_flag("--in-process", args->in_process,
                "Run the cells in this process (for a profiler; no time limit, and the peak RSS spans the cells)");
  set_action(sub, [args] { return bench(*args); });
}

}  // namespace synergai::app
