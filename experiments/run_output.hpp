// What a run writes: the per-job CSV, the run summary JSON, the decision log
// as JSON lines, and the human-readable tables printed on the terminal.
// Numbers are printed with fixed precision so that equal runs give equal bytes.
#pragma once

#include "actors/metrics.hpp"
#include "actors/runtime.hpp"
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

std::string jobs_table(const std::vector<JobRecord>& jobs);
std::string metrics_text(const Metrics& metrics);

std::string trace_lines(const std::vector<TraceEvent>& trace);

}  // namespace synergai::experiments
