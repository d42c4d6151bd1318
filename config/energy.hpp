// The energy model: a job's energy is bounded by the power budget (cap) of
// the configuration it ran in times its execution time (start -> finish),
// W x s = J. It is an upper bound, not a measurement: a board never draws more
// than its cap, and usually draws less. The energy of the mode switch before
// a run (the worker's, not the job's) is not counted.
//
// Where no cap is known the energy is unknown, never 0: a mode without a cap
// (MAXN), a mode whose cap nobody stated (budget_known false), and a node
// without power modes (the thesis's x86 worker: no wattage is known for it, and
// none is made up here). docs/policies.md describes the model.
#pragma once

#include "config/performance.hpp"
#include "config/testbed.hpp"
#include "messages/job.hpp"

#include <cstddef>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace synergai {

// Where a power bound comes from, or why there is none.
enum class EnergyBasis {
  power_budget,       // the mode's cap: known
  no_cap,             // a mode without a cap (MAXN)
  budget_not_stated,  // a mode whose cap nobody stated
  no_power_modes,     // a node without power modes (no wattage known)
  not_run,            // the job never ran (no start or no finish)
};
std::string_view to_string(EnergyBasis b);

struct PowerBound {
  std::optional<double> watts;  // set exactly when basis is power_budget
  EnergyBasis basis = EnergyBasis::no_power_modes;
};

// The cap of `config` on `node`. Throws InputError when the configuration
// names a mode the node does not have.
PowerBound power_bound(const NodeSpec& node, const ExecConfig& config);

struct JobEnergy {
  std::optional<double> joules;          // empty: unknown (see basis)
  std::optional<double> watts;           // the bound used
  std::optional<double> execution_s;     // finish - start, when it ran
  EnergyBasis basis = EnergyBasis::not_run;
  bool known() const { return joules.has_value(); }
};

// Throws InputError when the record names a node the testbed lacks.
JobEnergy job_energy(const config::Testbed& testbed, const JobRecord& job);

// Over a run's jobs: the total and mean of the known energies; how many jobs
// ran with an unknown energy; how many never ran (no energy to speak of).
struct RunEnergy {
  double joules_known = 0;
  std::size_t jobs_known = 0;
  std::size_t jobs_unknown = 0;
  std::size_t jobs_not_run = 0;
  // Mean over the jobs with a known energy; empty when there is none.
  std::optional<double> mean_joules_known() const;
};
RunEnergy run_energy(const config::Testbed& testbed, std::span<const JobRecord> jobs);

// One profiled configuration of an engine on a node, for a job of `queries`
// queries: its estimate (Eq. 6.2) and its energy bound = cap x estimate.
struct ConfigurationEnergy {
  ExecConfig config;
  Seconds estimate{};
  std::optional<double> joules;  // empty: unknown cap
};
// Every configuration of `node` the dictionary profiled for `engine`, lowest
// known energy first (ties: faster, then the configuration's order), the ones
// with an unknown energy after them, fastest first.
std::vector<ConfigurationEnergy> configuration_energies(const Performance& performance, std::string_view engine,
                                                        std::string_view node, int queries);

}  // namespace synergai
