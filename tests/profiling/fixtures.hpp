// The thesis testbed and its performance model, loaded once per test program.
#pragma once

#include "config/testbed.hpp"
#include "profiling/performance_model.hpp"
#include "tests/support.hpp"

namespace synergai::test {

inline const config::Testbed& thesis() {
  static const auto tb = config::load_testbed(source_path("config/testbeds/thesis.yaml"));
  return tb;
}

inline const profiling::PerformanceModel& thesis_model() {
  static const auto m = profiling::load_testbed_model(thesis());
  return m;
}

}  // namespace synergai::test
