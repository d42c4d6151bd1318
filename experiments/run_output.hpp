// What a run writes: the per-job CSV, the run summary JSON, the decision log
// as JSON lines, and the human-readable tables printed on the terminal.
// Numbers are printed with fixed precision so that equal runs give equal bytes.
#pragma once

#include "actors/metrics.hpp"
#include "actors/runtime.hpp"
#include "config/energy.hpp"
#include "config/testbed.hpp"
#include "messages/job.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace synergai::experiments {

// Identifies a run inside an experiment; runs outside one leave it empty.
struct RunKey {
  std::string scenario;
  std::string policy;
  std::uint64_t seed = 0;
};

// Columns: [scenario,policy,seed,] id,engine,queries,qos_s,submitted_s,
// started_s,finished_s,node,threads,mode,waiting_s,e2e_s,excess_s,violated,
// unmeetable,state. `violated` is actors/metrics.hpp's is_violation (a dropped
// job is one); `unmeetable` is 1 for a job unmeetable at submission, empty
// without a Performance.
std::string jobs_csv_header(bool with_run_key);
std::string jobs_csv_rows(const std::vector<JobRecord>& jobs, const RunKey* key,
                          const Performance* performance = nullptr);

nlohmann::json run_summary(const RunKey& key, const Metrics& metrics);
// The same with the run's energy under "energy" (energy_json).
nlohmann::json run_summary(const RunKey& key, const Metrics& metrics, const RunEnergy& energy);

// A run's energy (config/energy.hpp): the bound of the jobs with a known cap
// (total and mean per such job, null when there is none) and the jobs whose
// energy is unknown or that never ran.
nlohmann::json energy_json(const RunEnergy& energy);

// energy.csv, one row per job: [scenario,policy,seed,] id,node,threads,mode,
// execution_s,power_cap_w,energy_j,energy_basis. power_cap_w and energy_j are
// empty when unknown, and energy_basis says why (config/energy.hpp: no-cap,
// budget-not-stated, no-power-modes, not-run; power-budget when known).
// Kept apart from jobs.csv, whose bytes stay those of the recorded results.
std::string energy_csv_header(bool with_run_key);
std::string energy_csv_rows(const config::Testbed& testbed, const std::vector<JobRecord>& jobs, const RunKey* key);

std::string jobs_table(const std::vector<JobRecord>& jobs);
std::string metrics_text(const Metrics& metrics);
// One line: the known energy bound of a run and the jobs whose energy is unknown.
std::string energy_text(const RunEnergy& energy);

std::string trace_lines(const std::vector<TraceEvent>& trace);

}  // namespace synergai::experiments
