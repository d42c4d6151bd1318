#include "actors/recorder.hpp"

#include "support/log.hpp"

namespace synergai {

recorder_actor::behavior_type recorder(recorder_actor::stateful_pointer<RecorderState> self,
                                       std::shared_ptr<RunLog> log) {
  self->state.log = std::move(log);
  return {
      // The latest record of a job: to the service's table, or kept for the run's end.
      [=](record_atom, JobRecord record) {
        auto& log = *self->state.log;
        if (log.on_record) return log.on_record(record);
        std::lock_guard lock{log.mutex};
        auto& slot = log.jobs[record.spec.id];
        bool was_terminal = !slot.spec.id.empty() && is_terminal(slot.state);
        if (!was_terminal && is_terminal(record.state)) {
          ++log.terminal;
          log.terminal_changed.notify_all();
        }
        slot = std::move(record);
      },
      // A protocol violation: logged as an error and kept.
      [=](anomaly_atom, std::string what) {
        log::error("recorder", "anomaly", {{"what", what}});
        std::lock_guard lock{self->state.log->mutex};
        self->state.log->anomalies.push_back(std::move(what));
      },
      // One decision-log event (--trace).
      [=](trace_atom, TraceEvent event) {
        std::lock_guard lock{self->state.log->mutex};
        self->state.log->trace.push_back(std::move(event));
      },
  };
}

}  // namespace synergai
