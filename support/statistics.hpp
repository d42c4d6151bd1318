// Descriptive statistics used by the testbed report, scenario inputs and the
// experiment metrics. Percentiles interpolate linearly between closest ranks
// (the common "linear" definition, as numpy and pandas compute by default).
#pragma once

#include <span>
#include <vector>

namespace synergai::stats {

// p in [0, 100]; `values` need not be sorted; empty input gives 0.
double percentile(std::vector<double> values, double p);
double mean(std::span<const double> values);
double sample_sd(std::span<const double> values);  // n-1 denominator; 0 for n < 2
double min(std::span<const double> values);
double max(std::span<const double> values);

struct Summary {
  double min = 0, mean = 0, p50 = 0, p99 = 0, max = 0;
};
Summary summarize(std::span<const double> values);

}  // namespace synergai::stats
