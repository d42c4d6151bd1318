// Seeded randomness that gives the same numbers on every platform: the
// standard library's distributions are implementation-defined, so the few we
// need are written out here over std::mt19937_64 (whose output is specified).
#pragma once

#include <cmath>
#include <cstdint>
#include <random>
#include <string_view>

namespace synergai {

class Random {
 public:
  explicit Random(std::uint64_t seed) : engine_{seed} {}

  // Uniform in [0, 1), 53 bits.
  double uniform() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }
  // Uniform integer in [0, n).
  std::uint64_t below(std::uint64_t n) {
    // Rejection sampling: no modulo bias.
    std::uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    std::uint64_t x;
    do x = engine_();
    while (x >= limit);
    return x % n;
  }
  double exponential(double mean) { return -mean * std::log1p(-uniform()); }
  double standard_normal() {
    // Box-Muller; u1 in (0, 1] so the log is finite.
    double u1 = 1.0 - uniform();
    double u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
  }
  // Log-normal factor with median 1: exp(sigma * N(0,1)).
  double lognormal_factor(double sigma) { return sigma == 0 ? 1.0 : std::exp(sigma * standard_normal()); }

 private:
  std::mt19937_64 engine_;
};

// A seed derived from a run seed and a name (FNV-1a then splitmix64), so that
// e.g. each job's noise depends only on (seed, job id), not on event order.
inline std::uint64_t derive_seed(std::uint64_t seed, std::string_view name) {
  std::uint64_t h = 1469598103934665603ull ^ seed;
  for (unsigned char c : name) h = (h ^ c) * 1099511628211ull;
  h += 0x9e3779b97f4a7c15ull;
  h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ull;
  h = (h ^ (h >> 27)) * 0x94d049bb133111ebull;
  return h ^ (h >> 31);
}

}  // namespace synergai
