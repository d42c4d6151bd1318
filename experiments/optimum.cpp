#include "experiments/optimum.hpp"

#include "config/performance.hpp"
#include "executors/simulated/simulated_executor.hpp"
#include "support/errors.hpp"
#include "support/random.hpp"

#include <coin/Cbc_C_Interface.h>
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <map>
#include <memory>
#include <mutex>

namespace synergai::experiments {

// How the optimum's execution times agree with the runtime's: the simulated
// executor (executors/simulated/simulated_executor.cpp) runs a job for
// simulated_duration(performance, config, request) = the dictionary estimate
// (pre-processing + q / QPS) of (engine, node, configuration) times a
// log-normal factor drawn from derive_seed(seed, "noise:" + job id) alone, so
// the factor is the same for every node and configuration of a job. The
// optimum calls that same function with the run's seed and sigma; the worker
// adds the node's mode_switch_latency before a job whose mode differs from the
// worker's current one, and the optimum charges exactly that. The failure draw
// below repeats the executor's (derive_seed(seed, "failure:" + job id), one
// uniform draw against the probability). tests/experiments/optimum_test.cpp
// checks that a policy run's recorded execution times and failures equal these.
std::optional<Seconds> drawn_execution_time(const config::Testbed& testbed, const config::Dictionary& dictionary,
                                            const DrawnTimes& drawn, const JobSpec& job, const std::string& node,
                                            const ExecConfig& config) {
  Performance performance{testbed, dictionary};
  SimulationConfig sim;
  sim.seed = drawn.seed;
  sim.noise_sigma = drawn.noise_sigma;
  sim.failure_probability = drawn.failure_probability;
  return simulated_duration(performance, sim, RunRequest{job, node, config});
}

bool drawn_failure(const DrawnTimes& drawn, const JobSpec& job) {
  if (drawn.failure_probability <= 0) return false;
  Random fate{derive_seed(drawn.seed, "failure:" + job.id)};
  return fate.uniform() < drawn.failure_probability;
}

std::size_t on_time_jobs(const config::Testbed& testbed, const std::vector<JobSpec>& jobs,
                         const std::vector<std::pair<std::string, std::vector<SequencedJob>>>& sequences,
                         std::vector<ScheduledJob>* schedule) {
  std::size_t on_time = 0;
  for (const auto& [node_name, sequence] : sequences) {
    const auto* node = testbed.find_node(node_name);
    if (!node) throw InputError{fmt::format("optimum: unknown node {}", node_name)};
    std::optional<int> mode = node->default_mode;
    double free_at = 0;
    for (const auto& s : sequence) {
      const auto& job = jobs.at(s.job);
      double start = std::max(seconds_of(job.submitted_at), free_at);
      // As actors/worker.cpp: a configuration with a mode other than the current one switches first.
      bool switches = s.config.mode && s.config.mode != mode;
      double finish = start + (switches ? node->mode_switch_latency.count() : 0.0) + s.duration_s;
      if (s.config.mode) mode = s.config.mode;
      free_at = finish;
      // As JobRecord::violated(): late when e2e > QoS.
      bool ok = !(Seconds{finish - seconds_of(job.submitted_at)} > job.qos);
      if (ok) {
        ++on_time;
        if (schedule) schedule->push_back(ScheduledJob{job.id, node_name, s.config, switches, start, finish});
      }
    }
  }
  return on_time;
}

namespace {

// One way to run a job: a node and, for a node with power modes, a mode, in
// the fastest configuration of that mode.
//
// Why keeping only the fastest thread count per (node, mode) keeps the optimum
// exact: the noise factor is common to all configurations of a job, so the
// configurations of one mode are ordered by duration the same way as by their
// estimates; and whether a job causes a mode switch (before it, or before the
// job after it) depends only on its mode. Replacing a job's configuration by
// the fastest one of the same mode on the same node therefore leaves every
// switch as it was and finishes that job, and everything after it on the
// worker, no later. Across modes there is no such dominance (a slower mode
// may avoid a switch, and a switch can only happen when a job starts, not
// while the worker idles), so every mode is kept.
struct Option {
  std::size_t node = 0;  // index into testbed.nodes
  ExecConfig config;
  double duration = 0;
};

struct Job {
  double release = 0;   // arrival, seconds from the run's start
  double deadline = 0;  // arrival + QoS
  std::vector<Option> options;
};

double min_duration_on(const Job& j, std::size_t node) {
  double best = std::numeric_limits<double>::infinity();
  for (const auto& o : j.options)
    if (o.node == node) best = std::min(best, o.duration);
  return best;
}

struct CbcDeleter {
  void operator()(Cbc_Model* m) const { Cbc_deleteModel(m); }
};

class Milp {
 public:
  Milp() : model_{Cbc_newModel()} {}
  int add_col(double lb, double ub, double obj, bool integer) {
    Cbc_addCol(model_.get(), "", lb, ub, obj, integer ? 1 : 0, 0, nullptr, nullptr);
    return columns_++;
  }
  void add_row(const std::vector<std::pair<int, double>>& terms, char sense, double rhs) {
    std::vector<int> cols;
    std::vector<double> coefs;
    for (const auto& [c, v] : terms) {
      cols.push_back(c);
      coefs.push_back(v);
    }
    Cbc_addRow(model_.get(), "", static_cast<int>(cols.size()), cols.data(), coefs.data(), sense, rhs);
  }
  Cbc_Model* get() { return model_.get(); }

 private:
  std::unique_ptr<Cbc_Model, CbcDeleter> model_;
  int columns_ = 0;
};

}  // namespace

OptimumResult clairvoyant_optimum(const config::Testbed& testbed, const config::Dictionary& dictionary,
                                  const std::vector<JobSpec>& specs, const DrawnTimes& drawn,
                                  const OptimumOptions& options) {
  const auto started = std::chrono::steady_clock::now();
  Performance performance{testbed, dictionary};
  SimulationConfig sim;
  sim.seed = drawn.seed;
  sim.noise_sigma = drawn.noise_sigma;
  sim.failure_probability = drawn.failure_probability;

  OptimumResult result;
  result.jobs = specs.size();
  const auto& nodes = testbed.nodes;
  std::vector<Job> jobs(specs.size());
  for (std::size_t j = 0; j < specs.size(); ++j) {
    const auto& spec = specs[j];
    if (!testbed.find_engine(spec.engine))
      throw InputError{fmt::format("optimum: job {}: unknown engine \"{}\"", spec.id, spec.engine)};
    jobs[j].release = seconds_of(spec.submitted_at);
    jobs[j].deadline = jobs[j].release + spec.qos.count();
    if (drawn_failure(drawn, spec)) {  // a violation wherever it runs: run it last
      ++result.failing;
      continue;
    }
    for (std::size_t n = 0; n < nodes.size(); ++n) {
      std::map<std::optional<int>, Option> fastest;  // per mode (none on a node without modes)
      for (const auto* p : dictionary.points_for(spec.engine, nodes[n].name)) {
        auto d = simulated_duration(performance, sim, RunRequest{spec, nodes[n].name, p->config});
        if (!d) continue;
        auto [it, fresh] = fastest.try_emplace(p->config.mode, Option{n, p->config, d->count()});
        if (!fresh && (d->count() < it->second.duration ||
                       (d->count() == it->second.duration && p->config < it->second.config)))
          it->second = Option{n, p->config, d->count()};
      }
      // An option that cannot finish in time even alone, at arrival, is never used on time.
      for (auto& [_, o] : fastest)
        if (!(Seconds{o.duration} > spec.qos)) jobs[j].options.push_back(o);
    }
  }

  // The MILP. x[j][k]: job j runs on time in option k. s[j]: when its worker
  // takes it (before any switch). sigma[j][n]: a switch precedes j on node n
  // (only nodes with power modes and a positive latency). z[n][(a, b)]: on
  // node n, b directly follows a (a = -1: b is the node's first job).
  Milp milp;
  const std::size_t J = jobs.size();
  std::vector<std::vector<int>> x(J);
  std::vector<int> s(J, -1);
  std::vector<std::map<std::size_t, int>> sigma(J);
  auto switching = [&](std::size_t n) { return nodes[n].has_modes() && nodes[n].mode_switch_latency.count() > 0; };
  for (std::size_t j = 0; j < J; ++j) {
    if (jobs[j].options.empty()) continue;
    for (std::size_t k = 0; k < jobs[j].options.size(); ++k) x[j].push_back(milp.add_col(0, 1, -1, true));
    s[j] = milp.add_col(jobs[j].release, jobs[j].deadline, 0, false);
    for (const auto& o : jobs[j].options)
      if (switching(o.node) && !sigma[j].count(o.node)) sigma[j][o.node] = milp.add_col(0, 1, 0, false);
  }
  // Completion time terms of job j: s + sum L sigma + sum p x.
  auto completion_terms = [&](std::size_t j, double factor) {
    std::vector<std::pair<int, double>> t{{s[j], factor}};
    for (const auto& [n, col] : sigma[j]) t.emplace_back(col, factor * nodes[n].mode_switch_latency.count());
    for (std::size_t k = 0; k < jobs[j].options.size(); ++k) t.emplace_back(x[j][k], factor * jobs[j].options[k].duration);
    return t;
  };
  for (std::size_t j = 0; j < J; ++j) {
    if (x[j].empty()) continue;
    std::vector<std::pair<int, double>> once;
    for (int c : x[j]) once.emplace_back(c, 1);
    milp.add_row(once, 'L', 1);
    milp.add_row(completion_terms(j, 1), 'L', jobs[j].deadline);
  }
  constexpr long source = -1;
  std::vector<std::map<std::pair<long, std::size_t>, int>> arcs(nodes.size());
  for (std::size_t n = 0; n < nodes.size(); ++n) {
    std::vector<std::size_t> here;
    for (std::size_t j = 0; j < J; ++j)
      if (min_duration_on(jobs[j], n) < std::numeric_limits<double>::infinity()) here.push_back(j);
    // Options of job j on node n in mode m.
    auto x_in_mode = [&](std::size_t j, std::optional<int> m) -> int {
      for (std::size_t k = 0; k < jobs[j].options.size(); ++k)
        if (jobs[j].options[k].node == n && jobs[j].options[k].config.mode == m) return x[j][k];
      return -1;
    };
    for (std::size_t b : here) {
      arcs[n][{source, b}] = milp.add_col(0, 1, 0, true);
      for (std::size_t a : here) {
        if (a == b) continue;
        // b can follow a on time only if a's earliest finish still leaves b room.
        double b_start = std::max(jobs[b].release, jobs[a].release + min_duration_on(jobs[a], n));
        if (b_start + min_duration_on(jobs[b], n) > jobs[b].deadline) continue;
        arcs[n][{static_cast<long>(a), b}] = milp.add_col(0, 1, 0, true);
      }
    }
    auto on_node = [&](std::size_t j, double factor, std::vector<std::pair<int, double>>& t) {
      for (std::size_t k = 0; k < jobs[j].options.size(); ++k)
        if (jobs[j].options[k].node == n) t.emplace_back(x[j][k], factor);
    };
    // Each job on this node has exactly one predecessor (a job or the start)
    // and at most one successor; the node has at most one first job.
    std::vector<std::pair<int, double>> first;
    for (std::size_t b : here) {
      std::vector<std::pair<int, double>> in, out;
      for (const auto& [arc, col] : arcs[n]) {
        if (arc.second == b) in.emplace_back(col, 1);
        if (arc.first == static_cast<long>(b)) out.emplace_back(col, 1);
        if (arc.first == source && arc.second == b) first.emplace_back(col, 1);
      }
      on_node(b, -1, in);
      milp.add_row(in, 'E', 0);
      on_node(b, -1, out);
      milp.add_row(out, 'L', 0);
    }
    if (!first.empty()) milp.add_row(first, 'L', 1);
    // Capacity cuts, implied by the rows above but not by their LP relaxation:
    // the jobs on this node whose whole window [release, deadline] lies in
    // [a, b] run one at a time inside it, so their durations sum to at most
    // b - a. One row per distinct set, with its tightest a and b; only rows
    // that can bind.
    for (std::size_t i : here) {
      for (std::size_t k : here) {
        const double a = jobs[i].release, b = jobs[k].deadline;
        if (b <= a) continue;
        std::vector<std::pair<int, double>> t;
        double most = 0, earliest = b, latest = a;
        std::size_t members = 0;
        for (std::size_t j : here) {
          if (jobs[j].release < a || jobs[j].deadline > b) continue;
          ++members;
          earliest = std::min(earliest, jobs[j].release);
          latest = std::max(latest, jobs[j].deadline);
          double longest = 0;
          for (std::size_t o = 0; o < jobs[j].options.size(); ++o)
            if (jobs[j].options[o].node == n) {
              t.emplace_back(x[j][o], jobs[j].options[o].duration);
              longest = std::max(longest, jobs[j].options[o].duration);
            }
          most += longest;
        }
        if (members < 2 || earliest != a || latest != b || most <= b - a) continue;
        milp.add_row(t, 'L', b - a);
      }
    }
    for (const auto& [arc, col] : arcs[n]) {
      const auto [a, b] = arc;
      if (a != source) {
        // s_b >= C_a when b follows a; M = D_a - r_b makes it void otherwise.
        double big_m = jobs[static_cast<std::size_t>(a)].deadline - jobs[b].release;
        if (big_m > 0) {
          auto t = completion_terms(static_cast<std::size_t>(a), -1);
          t.emplace_back(s[b], 1);
          t.emplace_back(col, -big_m);
          milp.add_row(t, 'G', -big_m);
        }
      }
      if (!switching(n)) continue;
      // A switch precedes b when its mode differs from the predecessor's
      // (from the node's default mode for the first job).
      for (const auto& mode : nodes[n].power_modes) {
        int xb = x_in_mode(b, mode.id);
        if (xb < 0) continue;
        std::vector<std::pair<int, double>> t{{sigma[b].at(n), 1}, {xb, -1}, {col, -1}};
        if (a == source) {
          if (nodes[n].default_mode == mode.id) continue;
        } else if (int xa = x_in_mode(static_cast<std::size_t>(a), mode.id); xa >= 0) {
          t.emplace_back(xa, 1);
        }
        milp.add_row(t, 'G', -1);
      }
    }
  }

  // The hint as a starting solution: each job in the option of its mode, in
  // the hinted order, leaving out jobs until every one left is on time.
  if (!options.hint.empty()) {
    std::vector<int> ones;
    bool usable = true;
    for (const auto& [node_name, list] : options.hint) {
      std::size_t n = 0;
      while (n < nodes.size() && nodes[n].name != node_name) ++n;
      if (n == nodes.size()) break;
      std::vector<std::pair<std::size_t, std::size_t>> sequence;  // (job, option)
      for (const auto& [id, config] : list) {
        auto it = std::find_if(specs.begin(), specs.end(), [&](const JobSpec& j) { return j.id == id; });
        if (it == specs.end()) continue;
        auto j = static_cast<std::size_t>(it - specs.begin());
        for (std::size_t k = 0; k < jobs[j].options.size(); ++k)
          if (jobs[j].options[k].node == n && jobs[j].options[k].config.mode == config.mode) sequence.emplace_back(j, k);
      }
      for (bool dropped = true; dropped;) {
        dropped = false;
        double free_at = 0;
        std::optional<int> mode = nodes[n].default_mode;
        for (std::size_t i = 0; i < sequence.size(); ++i) {
          const auto& [j, k] = sequence[i];
          const auto& o = jobs[j].options[k];
          bool switches = o.config.mode && o.config.mode != mode;
          double finish = std::max(free_at, jobs[j].release) + (switches ? nodes[n].mode_switch_latency.count() : 0.0) +
                          o.duration;
          if (finish > jobs[j].deadline) {
            sequence.erase(sequence.begin() + static_cast<long>(i));
            dropped = true;
            break;
          }
          if (o.config.mode) mode = o.config.mode;
          free_at = finish;
        }
      }
      long previous = source;
      for (const auto& [j, k] : sequence) {
        auto arc = arcs[n].find({previous, j});
        if (arc == arcs[n].end()) {
          usable = false;
          break;
        }
        ones.push_back(arc->second);
        ones.push_back(x[j][k]);
        previous = static_cast<long>(j);
      }
    }
    if (usable && !ones.empty()) {
      std::vector<double> values(ones.size(), 1.0);
      Cbc_setMIPStartI(milp.get(), static_cast<int>(ones.size()), ones.data(), values.data());
    }
  }

  Cbc_Model* model = milp.get();
  Cbc_setLogLevel(model, std::getenv("SYNERGAI_CBC_LOG") ? 1 : 0);
  Cbc_setMaximumSeconds(model, options.time_limit_s);
  Cbc_setAllowableGap(model, 0.5);  // the objective is an integer count: a gap below 1 is optimal
  std::size_t candidates = 0;
  for (const auto& j : jobs) candidates += j.options.empty() ? 0 : 1;
  std::size_t upper = 0;  // most on-time jobs any schedule can have
  std::vector<std::pair<std::string, std::vector<SequencedJob>>> sequences;
  if (candidates > 0) {
    // CBC's solver driver (CbcMain1, behind Cbc_solve) keeps static state:
    // one solve at a time in this process.
    static std::mutex cbc;
    std::lock_guard lock{cbc};
    Cbc_solve(model);
    const double bound = Cbc_getBestPossibleObjValue(model);
    upper = std::min<std::size_t>(candidates, static_cast<std::size_t>(std::max(0.0, std::floor(-bound + 1e-6))));
    if (Cbc_isProvenOptimal(model))
      upper = std::min<std::size_t>(upper, static_cast<std::size_t>(std::max(0.0, std::round(-Cbc_getObjValue(model)))));
    const double* solution = Cbc_bestSolution(model);  // null when no feasible solution was found
    if (solution) {
      // Follow each node's chain of arcs from its start and replay it.
      for (std::size_t n = 0; n < nodes.size(); ++n) {
        std::map<long, std::size_t> next;
        for (const auto& [arc, col] : arcs[n])
          if (solution[col] > 0.5) next[arc.first] = arc.second;
        std::vector<SequencedJob> sequence;
        long at = source;
        for (std::size_t guard = 0; guard <= J && next.count(at); ++guard) {
          auto b = next[at];
          for (std::size_t k = 0; k < jobs[b].options.size(); ++k)
            if (jobs[b].options[k].node == n && solution[x[b][k]] > 0.5)
              sequence.push_back(SequencedJob{b, jobs[b].options[k].config, jobs[b].options[k].duration});
          at = static_cast<long>(b);
        }
        sequences.emplace_back(nodes[n].name, std::move(sequence));
      }
    }
  }
  const auto on_time = on_time_jobs(testbed, specs, sequences, &result.on_time);
  upper = std::max(upper, on_time);  // a replayed schedule is a fact; the bound can only be above it
  result.violations = specs.size() - on_time;
  result.violations_bound = specs.size() - upper;
  result.proven = result.violations == result.violations_bound;
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return result;
}

}  // namespace synergai::experiments
