// The offline phase as an operator runs it (docs/profiling.md): configuration
// generators, a plan of runs (engine x node x configuration x repeat), an
// executor that performs one run, a journal that makes a campaign resumable
// after any kill, and the design-space exploration that turns the journal
// into a configuration dictionary with provenance.
#pragma once

#include "config/dictionary.hpp"
#include "config/testbed.hpp"
#include "profiling/performance_model.hpp"

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace synergai::profiling {

// Performance-aware generator: powers of two up to `cpus`, plus `cpus`.
std::vector<int> default_thread_levels(int cpus);

struct PlanOptions {
  std::vector<std::string> engines;  // empty: all of the testbed's
  std::vector<std::string> nodes;    // empty: all
  int repeats = 3;
  // Per node, the thread levels to try instead of its thread_options; each
  // must be a configuration the testbed allows. An empty list: the default
  // generator, filtered to what the testbed allows.
  std::map<std::string, std::vector<int>> threads;
};

struct PlannedRun {
  std::string id;  // engine/node/t<threads>[/m<mode>]/r<repeat>: unique, stable
  std::string engine;
  std::string node;
  ExecConfig config;
  int repeat = 0;
  std::optional<double> estimate_s;  // from the performance model, when there is one
};

// Every configuration of `node` to explore, by the two generators: thread
// levels (performance-aware) x power modes (architecture-aware).
std::vector<ExecConfig> node_configurations(const NodeSpec& node, const PlanOptions& options);
std::vector<PlannedRun> make_plan(const config::Testbed& testbed, const PerformanceModel* model,
                                  const PlanOptions& options);

// What one attempt of one run produced.
struct RunOutcome {
  bool ok = false;
  std::string failure;  // "job failed: ...", "log unparsable: ...", "result INVALID"
  double qps = 0;
  double preprocessing_s = 0;
  double inference_s = 0;
  int queries = 0;
  std::string loadgen_version;
};

class Executor {
 public:
  virtual ~Executor() = default;
  virtual std::string name() const = 0;
  // Performs one attempt (1-based) of `run`; `dir` is the run's own folder
  // for logs. Returns a failure outcome rather than throwing for anything
  // that a retry might fix.
  virtual RunOutcome run(const PlannedRun& run, int attempt, const std::filesystem::path& dir) = 0;
  // Called once the outcome of `attempt` of `run` is in the journal (fsync'ed):
  // what the executor kept for a resumed campaign to adopt may go now.
  virtual void recorded(const PlannedRun& /*run*/, int /*attempt*/) {}
};

// The LoadGen logs of one SingleStream performance run, as LoadGen writes
// them: what the simulated executor leaves, and what tests serve as pod logs.
struct SyntheticRun {
  std::string sut_name = "synergai-simulated";
  std::string loadgen_version = "synergai-simulated";
  double qps = 1;
  int queries = 1;
  bool valid = true;
  double first_entry_ms = 0;  // epoch ms of LoadGen's first detail entry
};
std::string synthetic_summary(const SyntheticRun& run);  // mlperf_log_summary.txt
std::string synthetic_detail(const SyntheticRun& run);   // mlperf_log_detail.txt (:::MLLOG lines)

struct SimulatedOptions {
  std::uint64_t seed = 1;
  double noise = 0.0025;     // sigma of the log-normal QPS / time factor per run
  double failure_rate = 0;   // probability that an attempt fails (seeded)
  int delay_ms = 0;          // wall-clock sleep per run (to watch progress or test kills)
};

// Draws each run from the performance model with seeded noise, writes the
// LoadGen summary and detail logs a real run would leave, and reads them back
// through the same parser the kube executor uses.
class SimulatedExecutor : public Executor {
 public:
  SimulatedExecutor(const config::Testbed& testbed, const PerformanceModel& model, SimulatedOptions options);
  std::string name() const override { return "simulated"; }
  RunOutcome run(const PlannedRun& run, int attempt, const std::filesystem::path& dir) override;

 private:
  const config::Testbed& testbed_;
  const PerformanceModel& model_;
  SimulatedOptions options_;
};

// One journal line: a finished attempt.
struct JournalRecord {
  std::string run;
  int attempt = 0;
  RunOutcome outcome;
  std::string time;  // UTC ISO 8601
};

struct CampaignOptions {
  std::filesystem::path out;
  bool resume = false;
  int retries = 2;  // extra attempts after a failure
  double tie_tolerance = 0.01;
  // Progress: called with a line; `tty` says whether to redraw one line.
  std::function<void(const std::string&, bool final)> progress;
};

struct FailedRun {
  std::string run;
  int attempts = 0;
  std::vector<std::string> reasons;  // one per attempt
};

struct CampaignResult {
  std::size_t planned = 0;
  std::size_t skipped = 0;   // already completed in the journal (resume)
  std::size_t executed = 0;  // attempts made by this invocation
  std::size_t completed = 0;
  std::vector<FailedRun> failed;
  config::Dictionary dictionary;
};

// Runs (or resumes) the campaign in `options.out`: journal.jsonl (header line,
// then one fsync'ed line per finished attempt), runs/<id>/ logs, then
// dictionary.json and failures.txt. Throws InputError for a folder that
// holds another campaign or a journal without --resume.
CampaignResult run_campaign(const config::Testbed& testbed, const std::vector<PlannedRun>& plan, Executor& executor,
                            const CampaignOptions& options);

// Reads a journal; a torn last line (a kill during the write) is dropped.
std::vector<JournalRecord> read_journal(const std::filesystem::path& path, nlohmann::json* header = nullptr);

// Design-space exploration: per (engine, node, configuration) the mean over
// the successful repeats, provenance with the spread; c* per (engine, node) =
// highest mean QPS, where means within `tie_tolerance` (relative) of the best
// tie and go to fewer threads, then the lower power budget, then lower id.
config::Dictionary explore(const config::Testbed& testbed, const std::vector<PlannedRun>& plan,
                           const std::vector<JournalRecord>& records, const std::string& executor,
                           double tie_tolerance);

std::string failure_table(const std::vector<FailedRun>& failed);
std::string utc_now();

}  // namespace synergai::profiling
