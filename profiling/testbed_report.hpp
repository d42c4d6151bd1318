// The thesis testbed report: every figure the thesis publishes about its
// testbed (reference §2-§4, §6), next to what a configuration dictionary of
// the thesis testbed gives for it. `synergai testbed report` prints it; the
// tests assert the same rows. Computed from the dictionary only, so it checks
// the model's dictionary and a measured one alike.
#pragma once

#include "config/dictionary.hpp"
#include "config/testbed.hpp"
#include "profiling/scenario_inputs.hpp"

#include <optional>
#include <string>
#include <vector>

namespace synergai::profiling {

struct ReportRow {
  std::string section;
  std::string figure;
  // A numeric figure: target and value, checked against a relative tolerance.
  double target = 0;
  double value = 0;
  std::optional<double> tolerance;  // empty: informational (see `note`), never fails
  // An identity figure (e.g. the fastest engine): checked for equality.
  std::string expected;
  std::string actual;
  std::string note;  // why a row is informational, or which figure wins a conflict

  bool identity() const { return !expected.empty(); }
  bool gated() const { return identity() || tolerance.has_value(); }
  double relative_error() const { return target == 0 ? 0 : (value - target) / target; }
  bool ok() const;
};

struct QosRow {
  std::string engine;
  int queries = 0;
  QosTargets published;
  QosTargets model;
};

struct TestbedReport {
  std::vector<ReportRow> rows;
  std::vector<QosRow> qos;      // Table 7.1 in full, checked at the Table 7.1 tolerance
  ArrivalTimes arrivals;        // FL (median) and FH (25th percentile), from the dictionary
  bool ok() const;              // every gated row and every QoS value within tolerance
};

inline constexpr double table71_tolerance = 0.03;

// Throws InputError if the testbed lacks the thesis's nodes, engines or
// modes, or the dictionary lacks one of their points.
TestbedReport thesis_report(const config::Testbed& testbed, const config::Dictionary& dictionary);

// Human-readable rendering (the command's output).
std::string render(const TestbedReport& report);

}  // namespace synergai::profiling
