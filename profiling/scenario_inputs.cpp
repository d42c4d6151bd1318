#include "profiling/scenario_inputs.hpp"

#include "support/errors.hpp"
#include "support/statistics.hpp"

#include <fmt/format.h>

namespace synergai::profiling {

QosTargets qos_targets(const config::Dictionary& d, std::string_view engine, int queries) {
  std::vector<double> times;
  for (const auto& p : d.points())
    if (p.engine == engine) times.push_back(queries / p.qps);
  if (times.empty()) throw InputError{fmt::format("the dictionary has no profile of engine \"{}\"", engine)};
  return QosTargets{Seconds{stats::percentile(times, 25)}, Seconds{stats::percentile(times, 50)}};
}

ArrivalTimes mean_interarrival_times(const config::Dictionary& d, const std::vector<int>& query_counts,
                                     InterarrivalBasis basis) {
  std::vector<double> times;
  for (const auto& p : d.points())
    for (int q : query_counts)
      times.push_back(q / p.qps + (basis == InterarrivalBasis::total ? p.preprocessing.count() : 0.0));
  return ArrivalTimes{Seconds{stats::percentile(times, 25)}, Seconds{stats::percentile(times, 50)}};
}

}  // namespace synergai::profiling
