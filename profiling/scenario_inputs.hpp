// The inputs of the thesis's four experiments, computed from a configuration
// dictionary the way the thesis defines them (reference §6):
// - QoS target of a job (engine, q): over every configuration of every worker,
//   the execution times q / QPS; their median is the low-intensity demand set
//   (DL), their 25th percentile the high-intensity set (DH). Pre-processing is
//   excluded, so targets scale exactly with q.
// - Mean inter-arrival time: over all engines, configurations, workers and the
//   four query counts, the execution times q / QPS; the median gives low
//   arrival frequency (FL), the 25th percentile high frequency (FH).
//   The thesis calls these "execution times" without saying whether they
//   include pre-processing: `InterarrivalBasis::inference` (the default) takes
//   q / QPS alone, as the QoS targets do; `total` takes pre-processing + q / QPS,
//   the time a job actually occupies a worker (longer gaps, fewer overlaps).
#pragma once

#include "config/dictionary.hpp"
#include "messages/time.hpp"

#include <string_view>
#include <vector>

namespace synergai::profiling {

inline const std::vector<int> thesis_query_counts{3900, 1950, 975, 488};

enum class Demand { low, high };     // DL, DH
enum class Frequency { low, high };  // FL, FH
enum class InterarrivalBasis { inference, total };

struct QosTargets {
  Seconds high_intensity;  // DH: 25th percentile
  Seconds low_intensity;   // DL: median
  Seconds for_demand(Demand d) const { return d == Demand::high ? high_intensity : low_intensity; }
};

struct ArrivalTimes {
  Seconds high_frequency;  // FH: 25th percentile
  Seconds low_frequency;   // FL: median
  Seconds for_frequency(Frequency f) const { return f == Frequency::high ? high_frequency : low_frequency; }
};

// Throws InputError when the dictionary has no point for `engine`.
QosTargets qos_targets(const config::Dictionary& d, std::string_view engine, int queries);
ArrivalTimes mean_interarrival_times(const config::Dictionary& d,
                                     const std::vector<int>& query_counts = thesis_query_counts,
                                     InterarrivalBasis basis = InterarrivalBasis::inference);

}  // namespace synergai::profiling
