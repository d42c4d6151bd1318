// Time in SynergAI: std::chrono throughout; doubles only at file borders.
//
// `Seconds` is a duration. `TimePoint` is an instant on the run's clock: in a
// virtual-time experiment its epoch is the start of the run; in the service it
// is the Unix epoch. Both cross file borders as floating-point seconds.
#pragma once

#include <chrono>
#include <ratio>

namespace synergai {

using Seconds = std::chrono::duration<double>;

// Epoch tag for run instants; time is never read from it (actors use the actor
// system's clock), so it has no now().
struct RunClock {
  using rep = double;
  using period = std::ratio<1>;
  using duration = Seconds;
  using time_point = std::chrono::time_point<RunClock, Seconds>;
  static constexpr bool is_steady = true;
};

using TimePoint = RunClock::time_point;

constexpr TimePoint at_seconds(double s) { return TimePoint{Seconds{s}}; }
constexpr double seconds_of(Seconds d) { return d.count(); }
constexpr double seconds_of(TimePoint t) { return t.time_since_epoch().count(); }

}  // namespace synergai
