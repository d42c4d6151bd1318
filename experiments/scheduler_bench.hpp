// The scheduler at scale (`synergai bench-scheduler`, docs/results.md):
// synthetic testbeds that replicate the thesis's node types under distinct
// names (x86-1, agx-1, nx-1, x86-2, ...), their dictionary, Poisson arrivals
// at a multiple of the testbed's capacity, and one virtual-time run measured
// in CPU time, with the wall time of every planning round.
#pragma once

#include "config/dictionary.hpp"
#include "config/testbed.hpp"
#include "messages/job.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace synergai::experiments {

struct ScaleSpec {
  int workers = 10;
  int jobs = 1000;
  std::string policy = "synergai";
  double load = 2;  // arrival rate as a multiple of the testbed's service rate
  std::uint64_t seed = 1;
};

struct ScaleInputs {
  config::Testbed testbed;
  config::Dictionary dictionary;
  std::vector<JobSpec> jobs;
  double arrivals_per_s = 0;
};

// Worker k (0-based) is a copy of base node k mod |base nodes|, named
// "<base name>-<k / |base nodes| + 1>"; the dictionary gives each copy its
// base node's points and optima. Jobs are the thesis's DL draw on the base
// testbed (engines uniform, the thesis's query counts, low-demand QoS),
// arriving as a Poisson process at `load` times the summed service rate of
// the workers (each worker's rate: 1 / its mean optimal estimate over the
// jobs). Throws InputError for non-positive sizes.
ScaleInputs scale_inputs(const config::Testbed& base, const config::Dictionary& base_dictionary, const ScaleSpec& spec);

struct ScaleFigures {
  ScaleSpec spec;
  double setup_cpu_s = 0;     // building the testbed, the dictionary and the jobs
  double load_cpu_s = 0;      // start-up: parsing the dictionary and indexing the workers by class
  double dictionary_mib = 0;  // its JSON size
  double run_cpu_s = 0;       // the virtual-time run, CPU time of the process
  std::size_t placements = 0;
  double placements_per_cpu_s = 0;
  double drain_s = 0;  // virtual: first submission to last finish
  std::size_t rounds = 0;
  double round_p50_ms = 0;
  double round_p99_ms = 0;
  double round_max_ms = 0;
  double peak_rss_mib = 0;   // of the process (run one cell per process)
  double bytes_per_job = 0;  // peak RSS growth during the run over the jobs
};

// Builds the inputs and runs them once; call it in a fresh process for a
// meaningful peak RSS.
ScaleFigures measure_scale(const config::Testbed& base, const config::Dictionary& base_dictionary,
                           const ScaleSpec& spec);

}  // namespace synergai::experiments
