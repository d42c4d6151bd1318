// The recorder: receives every job record after each transition, anomalies
// (protocol violations such as illegal transitions) and the decision log, and
// keeps them in a RunLog that the runtime reads once the run is over — or, in
// the service, hands each record to the service's table.
#pragma once

#include "messages/protocol.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <unordered_map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace synergai {

struct RunLog {
  mutable std::mutex mutex;
  std::unordered_map<std::string, JobRecord> jobs;  // latest record per job id
  std::vector<std::string> anomalies;
  std::vector<TraceEvent> trace;
  std::atomic<std::size_t> terminal{0};  // jobs in a terminal state
  std::condition_variable terminal_changed;  // notified under `mutex` when `terminal` grows
  // Set before the recorder is spawned: every record goes to it instead of
  // `jobs` (the service: its job table is the one copy outside the job
  // actors, with a retention; a run reads `jobs` at its end).
  std::function<void(const JobRecord&)> on_record;

  // Waits until `n` jobs are terminal or `deadline` passes; true if they are.
  bool wait_terminal(std::size_t n, std::chrono::steady_clock::time_point deadline) {
    std::unique_lock lock{mutex};
    return terminal_changed.wait_until(lock, deadline, [&] { return terminal >= n; });
  }
};

struct RecorderState {
  std::shared_ptr<RunLog> log;
  static inline const char* name = "recorder";
};

recorder_actor::behavior_type recorder(recorder_actor::stateful_pointer<RecorderState> self,
                                       std::shared_ptr<RunLog> log);

// Sends decision-log events to the recorder when tracing is on; building the
// event's data is skipped entirely when it is off.
class Tracer {
 public:
  Tracer() = default;
  Tracer(recorder_actor recorder, bool enabled, std::string source)
      : recorder_{std::move(recorder)}, enabled_{enabled}, source_{std::move(source)} {}

  bool enabled() const { return enabled_; }
  template <class Self, class MakeData>
  void operator()(Self* self, TimePoint at, const char* kind, MakeData&& make_data) const {
    if (enabled_) self->send(recorder_, trace_atom::value, TraceEvent{at, source_, kind, make_data()});
  }

 private:
  recorder_actor recorder_;
  bool enabled_ = false;
  std::string source_;
};

}  // namespace synergai
