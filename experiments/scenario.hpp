// Scenarios: the jobs of one run with their submission instants.
//
// A thesis scenario is named DEMAND-FREQUENCY: DL or DH picks the QoS column
// (median or 25th percentile of q / QPS over all configurations, see
// profiling/scenario_inputs.hpp), FL or FH the mean inter-arrival time of the
// Poisson process. Jobs are drawn from the engines x query counts with the
// run's seed (docs/experiments.md describes the draw):
// - `uniform`: every job independently picks an engine and a query count
//   uniformly at random;
// - `balanced`: engines are dealt as evenly as possible (each appears
//   floor(N/E) or ceil(N/E) times, in a shuffled order), query counts uniform.
// Arrival times and the job draw use separate seeded streams, so changing the
// draw keeps the arrival instants.
#pragma once

#include "config/dictionary.hpp"
#include "config/testbed.hpp"
#include "messages/job.hpp"
#include "profiling/scenario_inputs.hpp"

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace synergai::experiments {

enum class JobDraw { uniform, balanced };

struct ScenarioSpec {
  std::string name;  // DL-FL, DL-FH, DH-FL, DH-FH
  profiling::Demand demand = profiling::Demand::low;
  profiling::Frequency frequency = profiling::Frequency::low;
  int jobs = 24;
  JobDraw draw = JobDraw::uniform;
  std::vector<int> query_counts = profiling::thesis_query_counts;
  profiling::InterarrivalBasis interarrival = profiling::InterarrivalBasis::inference;
};

// Throws InputError for a name other than the four thesis scenarios.
ScenarioSpec parse_scenario(const std::string& name);
std::optional<JobDraw> parse_job_draw(std::string_view name);
// "inference" | "total" (profiling/scenario_inputs.hpp).
std::optional<profiling::InterarrivalBasis> parse_interarrival(std::string_view name);

std::vector<JobSpec> generate_jobs(const ScenarioSpec& scenario, const config::Testbed& testbed,
                                   const config::Dictionary& dictionary, std::uint64_t seed);

// A replayed arrival trace: CSV with the header `time_s,engine,queries,qos_s`
// and one job per line. Throws ValidationError naming the file and line.
std::vector<JobSpec> load_arrivals(const std::filesystem::path& path, const config::Testbed& testbed);

}  // namespace synergai::experiments
