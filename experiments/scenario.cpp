#include "experiments/scenario.hpp"

#include "support/errors.hpp"
#include "support/random.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <sstream>

namespace synergai::experiments {
namespace {

std::string job_id(std::size_t index, std::size_t count) {
  auto width = std::max<std::size_t>(3, fmt::formatted_size("{}", count));
  return fmt::format("j{:0{}}", index + 1, width);
}

std::vector<std::string> profiled_engines(const config::Testbed& tb, const config::Dictionary& d) {
  std::vector<std::string> out;
  for (const auto& e : tb.engines)
    for (const auto& n : tb.nodes)
      if (d.optimum(e.id, n.name)) {
        out.push_back(e.id);
        break;
      }
  return out;
}

}  // namespace

ScenarioSpec parse_scenario(const std::string& name) {
  ScenarioSpec s;
  s.name = name;
  if (name.size() != 5 || name[0] != 'D' || name[2] != '-' || name[3] != 'F' ||
      (name[1] != 'L' && name[1] != 'H') || (name[4] != 'L' && name[4] != 'H'))
    throw InputError{fmt::format("unknown scenario \"{}\" (known: DL-FL, DL-FH, DH-FL, DH-FH)", name)};
  s.demand = name[1] == 'L' ? profiling::Demand::low : profiling::Demand::high;
  s.frequency = name[4] == 'L' ? profiling::Frequency::low : profiling::Frequency::high;
  return s;
}

std::optional<JobDraw> parse_job_draw(std::string_view name) {
  if (name == "uniform") return JobDraw::uniform;
  if (name == "balanced") return JobDraw::balanced;
  return std::nullopt;
}

std::optional<profiling::InterarrivalBasis> parse_interarrival(std::string_view name) {
  if (name == "inference") return profiling::InterarrivalBasis::inference;
  if (name == "total") return profiling::InterarrivalBasis::total;
  return std::nullopt;
}

std::vector<JobSpec> generate_jobs(const ScenarioSpec& scenario, const config::Testbed& testbed,
                                   const config::Dictionary& dictionary, std::uint64_t seed) {
  auto engines = profiled_engines(testbed, dictionary);
  if (engines.empty()) throw InputError{"the dictionary profiles none of the testbed's engines"};
  if (scenario.jobs <= 0 || scenario.query_counts.empty()) throw InputError{"a scenario needs jobs and query counts"};
  const auto n = static_cast<std::size_t>(scenario.jobs);

  Random draw{derive_seed(seed, "draw")};
  std::vector<std::string> picked;
  if (scenario.draw == JobDraw::uniform) {
    for (std::size_t i = 0; i < n; ++i) picked.push_back(engines[draw.below(engines.size())]);
  } else {
    // Deal rounds of all engines, each round in a fresh shuffled order
    // (Fisher-Yates on the run's own generator; std::shuffle is not portable).
    while (picked.size() < n) {
      auto round = engines;
      for (std::size_t i = round.size() - 1; i > 0; --i) std::swap(round[i], round[draw.below(i + 1)]);
      for (const auto& e : round)
        if (picked.size() < n) picked.push_back(e);
    }
  }

  Random arrivals{derive_seed(seed, "arrivals")};
  // From the query counts the jobs are drawn from (the thesis's four by default).
  auto mean_gap = profiling::mean_interarrival_times(dictionary, scenario.query_counts, scenario.interarrival)
                      .for_frequency(scenario.frequency);
  std::vector<JobSpec> jobs;
  double t = 0;
  for (std::size_t i = 0; i < n; ++i) {
    t += arrivals.exponential(mean_gap.count());
    int q = scenario.query_counts[draw.below(scenario.query_counts.size())];
    auto qos = profiling::qos_targets(dictionary, picked[i], q).for_demand(scenario.demand);
    jobs.push_back(JobSpec{job_id(i, n), picked[i], q, qos, at_seconds(t)});
  }
  return jobs;
}

std::vector<JobSpec> load_arrivals(const std::filesystem::path& path, const config::Testbed& testbed) {
  std::ifstream in{path};
  if (!in) throw InputError{fmt::format("{}: cannot be read", path.string())};
  std::vector<config::Diagnostic> problems;
  auto problem = [&](int line, std::string message) {
    problems.push_back(config::Diagnostic{path.string(), config::Mark{line, 1}, "", std::move(message)});
  };
  std::string line;
  int number = 0;
  std::vector<JobSpec> jobs;
  std::vector<std::tuple<double, std::string, int, double>> rows;
  while (std::getline(in, line)) {
    ++number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (number == 1) {
      if (line != "time_s,engine,queries,qos_s") problem(1, "expected the header time_s,engine,queries,qos_s, found \"" + line + "\"");
      continue;
    }
    if (line.empty()) continue;
    std::vector<std::string> cells;
    std::stringstream ss{line};
    for (std::string cell; std::getline(ss, cell, ',');) cells.push_back(cell);
    if (cells.size() != 4) {
      problem(number, fmt::format("expected 4 comma-separated fields, found {}", cells.size()));
      continue;
    }
    auto number_of = [&](const std::string& s, auto& out) {
      auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
      return ec == std::errc{} && p == s.data() + s.size();
    };
    double time = 0, qos = 0;
    int queries = 0;
    bool ok = true;
    if (!number_of(cells[0], time) || time < 0) {
      problem(number, fmt::format("time_s: expected a number >= 0, found \"{}\"", cells[0]));
      ok = false;
    }
    if (!testbed.find_engine(cells[1])) {
      problem(number, fmt::format("engine: unknown engine \"{}\"", cells[1]));
      ok = false;
    }
    if (!number_of(cells[2], queries) || queries <= 0) {
      problem(number, fmt::format("queries: expected an integer >= 1, found \"{}\"", cells[2]));
      ok = false;
    }
    if (!number_of(cells[3], qos) || qos <= 0) {
      problem(number, fmt::format("qos_s: expected a number > 0, found \"{}\"", cells[3]));
      ok = false;
    }
    if (ok) rows.emplace_back(time, cells[1], queries, qos);
  }
  if (number == 0) problem(1, "empty file: expected the header time_s,engine,queries,qos_s");
  else if (rows.empty() && problems.empty()) problem(number, "no jobs");
  if (!problems.empty()) throw config::ValidationError{std::move(problems)};
  std::stable_sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) { return std::get<0>(a) < std::get<0>(b); });
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const auto& [time, engine, queries, qos] = rows[i];
    jobs.push_back(JobSpec{job_id(i, rows.size()), engine, queries, Seconds{qos}, at_seconds(time)});
  }
  return jobs;
}

}  // namespace synergai::experiments
