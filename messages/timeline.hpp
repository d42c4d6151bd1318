// Maps the actor system's clock onto run instants (messages/time.hpp).
// Actors never read a wall clock: they ask the actor system's clock
// (`self->clock().now()`; CAF 0.17 declares local_actor::now() but its library
// does not define it) and convert it here, so the same code runs on CAF's
// virtual test clock and on the real one.
#pragma once

#include "messages/time.hpp"

#include <caf/actor_clock.hpp>
#include <caf/timespan.hpp>

#include <algorithm>
#include <chrono>

namespace synergai {

class Timeline {
 public:
  using clock_point = caf::actor_clock::time_point;

  Timeline() = default;
  // `origin` (a reading of the actor clock) is the instant `origin_instant`.
  Timeline(clock_point origin, TimePoint origin_instant) : origin_{origin}, origin_instant_{origin_instant} {}

  // Instants in Unix seconds: the actor clock's reading `now` is this moment's
  // Unix time (the one wall-clock reading of a real-time run).
  static Timeline unix_time(clock_point now) {
    auto unix_now = std::chrono::duration_cast<Seconds>(std::chrono::system_clock::now().time_since_epoch());
    return Timeline{now, TimePoint{unix_now}};
  }

  TimePoint at(clock_point t) const {
    return origin_instant_ + std::chrono::duration_cast<Seconds>(t - origin_);
  }

  // A delay for delayed_send, to the nearest nanosecond; negative durations become zero.
  static caf::timespan span(Seconds d) { return std::chrono::round<caf::timespan>(std::max(d, Seconds{0})); }

 private:
  clock_point origin_{};
  TimePoint origin_instant_{};
};

}  // namespace synergai
