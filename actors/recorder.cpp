#include "actors/recorder.hpp"

#include "support/log.hpp"

namespace synergai {

recorder_actor::behavior_type recorder(recorder_actor::stateful_pointer<RecorderState> self,
                                       std::shared_ptr<RunLog> log) {
  self->state.log = std::move(log);
  return {
      [=](record_atom, JobRecord record) {
        auto& log = *self->state.log;
        {
          std::lock_guard lock{log.mutex};
          auto& slot = log.jobs[record.spec.id];
          bool was_terminal = !slot.spec.id.empty() && is_terminal(slot.state);
          if (!was_terminal && is_terminal(record.state)) ++log.terminal;
          slot = record;
        }
        if (log.on_record) log.on_record(record);
        if (log.forget_finished && is_terminal(record.state)) {
          std::lock_guard lock{log.mutex};
          log.jobs.erase(record.spec.id);
        }
      },
      [=](anomaly_atom, std::string what) {
        log::error("recorder", "{}", what);
        std::lock_guard lock{self->state.log->mutex};
        self->state.log->anomalies.push_back(std::move(what));
      },
      [=](trace_atom, TraceEvent event) {
        std::lock_guard lock{self->state.log->mutex};
        self->state.log->trace.push_back(std::move(event));
      },
  };
}

}  // namespace synergai
