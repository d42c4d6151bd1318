#include "support/statistics.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace synergai::stats {

double percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  double rank = std::clamp(p, 0.0, 100.0) / 100.0 * static_cast<double>(values.size() - 1);
  auto lo = static_cast<std::size_t>(std::floor(rank));
  auto hi = std::min(lo + 1, values.size() - 1);
  double frac = rank - static_cast<double>(lo);
  return values[lo] + (values[hi] - values[lo]) * frac;
}

double mean(std::span<const double> values) {
  if (values.empty()) return 0;
  return std::accumulate(values.begin(), values.end(), 0.0) / static_cast<double>(values.size());
}

double sample_sd(std::span<const double> values) {
  if (values.size() < 2) return 0;
  double m = mean(values);
  double ss = 0;
  for (double v : values) ss += (v - m) * (v - m);
  return std::sqrt(ss / static_cast<double>(values.size() - 1));
}

double min(std::span<const double> values) {
  return values.empty() ? 0 : *std::min_element(values.begin(), values.end());
}

double max(std::span<const double> values) {
  return values.empty() ? 0 : *std::max_element(values.begin(), values.end());
}

Summary summarize(std::span<const double> values) {
  std::vector<double> v{values.begin(), values.end()};
  return Summary{min(values), mean(values), percentile(v, 50), percentile(v, 99), max(values)};
}

}  // namespace synergai::stats
