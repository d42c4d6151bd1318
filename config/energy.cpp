// The energy model (energy.hpp): caps from the testbed's power modes, times
// from the job records and the dictionary's estimates.
#include "config/energy.hpp"

#include "support/errors.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace synergai {

std::string_view to_string(EnergyBasis b) {
  switch (b) {
    case EnergyBasis::power_budget: return "power-budget";
    case EnergyBasis::no_cap: return "no-cap";
    case EnergyBasis::budget_not_stated: return "budget-not-stated";
    case EnergyBasis::no_power_modes: return "no-power-modes";
    case EnergyBasis::not_run: return "not-run";
  }
  return "?";
}

PowerBound power_bound(const NodeSpec& node, const ExecConfig& config) {
  if (!config.mode) {
    if (node.has_modes())
      throw InputError{fmt::format("energy: configuration {} on node {} names no power mode, but the node has power modes",
                                   describe(config), node.name)};
    return {std::nullopt, EnergyBasis::no_power_modes};
  }
  const auto* mode = node.find_mode(*config.mode);
  if (!mode)
    throw InputError{fmt::format("energy: node {} has no power mode {} (configuration {})", node.name, *config.mode,
                                 describe(config))};
  if (!mode->budget_known) return {std::nullopt, EnergyBasis::budget_not_stated};
  if (!mode->budget_w) return {std::nullopt, EnergyBasis::no_cap};
  return {*mode->budget_w, EnergyBasis::power_budget};
}

JobEnergy job_energy(const config::Testbed& testbed, const JobRecord& job) {
  JobEnergy e;
  if (!job.started_at || !job.finished_at || !job.config) return e;  // never ran: not_run
  const auto* node = testbed.find_node(job.node);
  if (!node) throw InputError{fmt::format("energy: job {} ran on node \"{}\", which testbed {} does not have",
                                          job.spec.id, job.node, testbed.name)};
  e.execution_s = std::chrono::duration<double>(*job.finished_at - *job.started_at).count();
  auto bound = power_bound(*node, *job.config);
  e.basis = bound.basis;
  e.watts = bound.watts;
  if (bound.watts) e.joules = *bound.watts * *e.execution_s;
  return e;
}

std::optional<double> RunEnergy::mean_joules_known() const {
  if (jobs_known == 0) return std::nullopt;
  return joules_known / static_cast<double>(jobs_known);
}

RunEnergy run_energy(const config::Testbed& testbed, std::span<const JobRecord> jobs) {
  RunEnergy r;
  for (const auto& job : jobs) {
    auto e = job_energy(testbed, job);
    if (e.basis == EnergyBasis::not_run) {
      ++r.jobs_not_run;
    } else if (e.joules) {
      ++r.jobs_known;
      r.joules_known += *e.joules;
    } else {
      ++r.jobs_unknown;
    }
  }
  return r;
}

std::vector<ConfigurationEnergy> configuration_energies(const Performance& performance, std::string_view engine,
                                                        std::string_view node, int queries) {
  std::vector<ConfigurationEnergy> out;
  const auto* spec = performance.testbed().find_node(node);
  if (!spec) return out;
  for (const auto* point : performance.dictionary().points_for(engine, node)) {
    auto estimate = performance.estimate(engine, node, point->config, queries);
    if (!estimate) continue;
    auto bound = power_bound(*spec, point->config);
    std::optional<double> joules;
    if (bound.watts) joules = *bound.watts * estimate->count();
    out.push_back({point->config, *estimate, joules});
  }
  std::sort(out.begin(), out.end(), [](const ConfigurationEnergy& a, const ConfigurationEnergy& b) {
    if (a.joules.has_value() != b.joules.has_value()) return a.joules.has_value();
    if (a.joules && *a.joules != *b.joules) return *a.joules < *b.joules;
    if (a.estimate != b.estimate) return a.estimate < b.estimate;
    return a.config < b.config;
  });
  return out;
}

}  // namespace synergai
