#include "experiments/scheduler_bench.hpp"

#include "config/performance.hpp"
#include "actors/runtime.hpp"
#include "experiments/scenario.hpp"
#include "support/errors.hpp"
#include "support/random.hpp"
#include "support/statistics.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <limits>
#include <map>
#include <sys/resource.h>
#include <unistd.h>

namespace synergai::experiments {
namespace {

double cpu_seconds() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  auto s = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
  return s(u.ru_utime) + s(u.ru_stime);
}

double peak_rss_bytes() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_maxrss) * 1024.0;
}

double rss_bytes() {
  std::ifstream statm{"/proc/self/statm"};
  double pages = 0, resident = 0;
  statm >> pages >> resident;
  return resident * static_cast<double>(::sysconf(_SC_PAGESIZE));
}

}  // namespace

ScaleInputs scale_inputs(const config::Testbed& base, const config::Dictionary& base_dictionary, const ScaleSpec& spec) {
  if (spec.workers < 1 || spec.jobs < 1 || !(spec.load > 0))
    throw InputError{fmt::format("bench-scheduler: workers ({}), jobs ({}) and load ({}) must be positive", spec.workers,
                                 spec.jobs, spec.load)};
  if (base.nodes.empty()) throw InputError{"bench-scheduler: the base testbed has no nodes"};
  ScaleInputs in;
  in.testbed = base;
  in.testbed.name = fmt::format("{}-x{}", base.name, spec.workers);
  in.testbed.nodes.clear();
  in.testbed.replica_of.clear();
  // Each base node type as one replicated entry (a testbed's `replicas`):
  // the dictionary describes the types, not the workers.
  std::vector<std::size_t> base_of;  // worker -> base node index
  const auto types = base.nodes.size();
  for (std::size_t b = 0; b < types; ++b) {
    const auto count = static_cast<std::size_t>(spec.workers) / types + (b < static_cast<std::size_t>(spec.workers) % types);
    if (count == 0) continue;
    config::add_replicas(in.testbed, base.nodes[b], static_cast<int>(count));
    base_of.insert(base_of.end(), count, b);
  }
  in.dictionary = base_dictionary;
  in.dictionary.testbed = in.testbed.name;
  in.dictionary.bind(in.testbed);

  ScenarioSpec scenario = parse_scenario("DL-FL");
  scenario.jobs = spec.jobs;
  in.jobs = generate_jobs(scenario, base, base_dictionary, spec.seed);

  // Service rate of each base node type: 1 / mean optimal estimate over the jobs.
  Performance performance{base, base_dictionary};
  std::vector<double> rate(base.nodes.size(), 0);
  for (std::size_t b = 0; b < base.nodes.size(); ++b) {
    double sum = 0;
    std::size_t n = 0;
    for (const auto& j : in.jobs)
      if (auto c = performance.optimal(j.engine, base.nodes[b].name, j.queries)) {
        sum += c->estimate.count();
        ++n;
      }
    rate[b] = n == 0 || sum <= 0 ? 0 : static_cast<double>(n) / sum;
  }
  double capacity = 0;
  for (auto b : base_of) capacity += rate[b];
  if (!(capacity > 0)) throw InputError{"bench-scheduler: no worker can run the generated jobs"};
  in.arrivals_per_s = spec.load * capacity;
  Random arrivals{derive_seed(spec.seed, "scale-arrivals")};
  double t = 0;
  for (auto& j : in.jobs) {
    t += arrivals.exponential(1.0 / in.arrivals_per_s);
    j.submitted_at = at_seconds(t);
  }
  return in;
}

ScaleFigures measure_scale(const config::Testbed& base, const config::Dictionary& base_dictionary,
                           const ScaleSpec& spec) {
  ScaleFigures f;
  f.spec = spec;
  double c0 = cpu_seconds();
  auto in = scale_inputs(base, base_dictionary, spec);
  auto text = config::dump_dictionary(in.dictionary);
  f.dictionary_mib = static_cast<double>(text.size()) / (1024.0 * 1024.0);
  double c1 = cpu_seconds();
  auto loaded = config::read_dictionary(config::parse_json(text, "bench dictionary"), &in.testbed);
  const Performance startup_index{in.testbed, loaded};  // the workers' classes, as a run builds them
  double c2 = cpu_seconds();
  f.setup_cpu_s = c1 - c0;
  f.load_cpu_s = c2 - c1;
  text.clear();
  text.shrink_to_fit();

  RuntimeOptions options;
  options.policy = spec.policy;
  options.seed = spec.seed;
  std::vector<double> rounds;
  rounds.reserve(static_cast<std::size_t>(spec.jobs) * 2);
  options.round_times = [&rounds](double seconds) { rounds.push_back(seconds); };
  double rss_before = rss_bytes();
  double c3 = cpu_seconds();
  auto result = run_virtual(in.testbed, loaded, in.jobs, options);
  double c4 = cpu_seconds();
  f.run_cpu_s = c4 - c3;
  double first = std::numeric_limits<double>::infinity(), last = 0;
  for (const auto& r : result.jobs) {
    if (!r.node.empty()) ++f.placements;
    first = std::min(first, seconds_of(r.spec.submitted_at));
    if (r.finished_at) last = std::max(last, seconds_of(*r.finished_at));
  }
  f.placements_per_cpu_s = f.run_cpu_s > 0 ? static_cast<double>(f.placements) / f.run_cpu_s : 0;
  f.drain_s = last - first;
  f.rounds = rounds.size();
  const auto round = stats::summarize(rounds);
  f.round_p50_ms = round.p50 * 1000.0;
  f.round_p99_ms = round.p99 * 1000.0;
  f.round_max_ms = round.max * 1000.0;
  f.peak_rss_mib = peak_rss_bytes() / (1024.0 * 1024.0);
  f.bytes_per_job = std::max(0.0, peak_rss_bytes() - rss_before) / static_cast<double>(spec.jobs);
  return f;
}

}  // namespace synergai::experiments
