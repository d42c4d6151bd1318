#include "experiments/run_output.hpp"

#include "support/errors.hpp"

#include <fmt/format.h>


namespace synergai::experiments {
namespace {

std::string num(std::optional<double> v) { return v ? fmt::format("{:.6f}", *v) : std::string{}; }
std::optional<double> secs(const std::optional<TimePoint>& t) {
  return t ? std::optional<double>{seconds_of(*t)} : std::nullopt;
}
std::optional<double> secs(const std::optional<Seconds>& d) {
  return d ? std::optional<double>{d->count()} : std::nullopt;
}

}  // namespace

std::string jobs_csv_header(bool with_run_key) {
  return std::string{with_run_key ? "scenario,policy,seed," : ""} +
         "id,engine,queries,qos_s,submitted_s,started_s,finished_s,node,threads,mode,waiting_s,e2e_s,excess_s,"
         "violated,unmeetable,state\n";
}

std::string jobs_csv_rows(const std::vector<JobRecord>& jobs, const RunKey* key, const Performance* performance) {
  std::string out;
  for (const auto& r : jobs) {
    if (key) out += fmt::format("{},{},{},", key->scenario, key->policy, key->seed);
    std::string unmeetable = performance ? (unmeetable_at_submission(*performance, r.spec) ? "1" : "0") : "";
    out += fmt::format("{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n", r.spec.id, r.spec.engine, r.spec.queries,
                       num(r.spec.qos.count()), num(seconds_of(r.spec.submitted_at)), num(secs(r.started_at)),
                       num(secs(r.finished_at)), r.node, r.config ? fmt::format("{}", r.config->threads) : "",
                       r.config && r.config->mode ? fmt::format("{}", *r.config->mode) : "", num(secs(r.waiting())),
                       num(secs(r.end_to_end())), num(secs(r.excess())), is_violation(r) ? 1 : 0, unmeetable, r.state);
  }
  return out;
}

nlohmann::json run_summary(const RunKey& key, const Metrics& metrics) {
  nlohmann::json j = metrics;
  j["scenario"] = key.scenario;
  j["policy"] = key.policy;
  j["seed"] = key.seed;
  return j;
}

nlohmann::json run_summary(const RunKey& key, const Metrics& metrics, const RunEnergy& energy) {
  auto j = run_summary(key, metrics);
  j["energy"] = energy_json(energy);
  return j;
}

nlohmann::json energy_json(const RunEnergy& e) {
  auto mean = e.mean_joules_known();
  return nlohmann::json{{"joules_known", e.joules_known},
                        {"joules_per_known_job", mean ? nlohmann::json(*mean) : nlohmann::json(nullptr)},
                        {"jobs_known", e.jobs_known},
                        {"jobs_unknown", e.jobs_unknown},
                        {"jobs_not_run", e.jobs_not_run}};
}

std::string energy_csv_header(bool with_run_key) {
  return std::string{with_run_key ? "scenario,policy,seed," : ""} +
         "id,node,threads,mode,execution_s,power_cap_w,energy_j,energy_basis\n";
}

std::string energy_csv_rows(const config::Testbed& testbed, const std::vector<JobRecord>& jobs, const RunKey* key) {
  std::string out;
  for (const auto& r : jobs) {
    auto e = job_energy(testbed, r);
    if (key) out += fmt::format("{},{},{},", key->scenario, key->policy, key->seed);
    out += fmt::format("{},{},{},{},{},{},{},{}\n", r.spec.id, r.node, r.config ? fmt::format("{}", r.config->threads) : "",
                       r.config && r.config->mode ? fmt::format("{}", *r.config->mode) : "", num(e.execution_s),
                       num(e.watts), num(e.joules), to_string(e.basis));
  }
  return out;
}

std::string jobs_table(const std::vector<JobRecord>& jobs) {
  std::string out = fmt::format("{:<6} {:<24} {:>5} {:>8} {:>9} {:>9} {:>9} {:<5} {:<17} {:>8} {:>9} {}\n", "job",
                                "engine", "q", "qos_s", "submit_s", "start_s", "finish_s", "node", "config",
                                "wait_s", "e2e_s", "outcome");
  for (const auto& r : jobs) {
    auto opt = [](std::optional<double> v) { return v ? fmt::format("{:.1f}", *v) : std::string{"-"}; };
    std::string outcome{to_string(r.state)};
    if (r.state == JobState::succeeded) outcome = r.violated() ? "LATE" : "ok";
    out += fmt::format("{:<6} {:<24} {:>5} {:>8.1f} {:>9.1f} {:>9} {:>9} {:<5} {:<17} {:>8} {:>9} {}\n", r.spec.id,
                       r.spec.engine, r.spec.queries, r.spec.qos.count(), seconds_of(r.spec.submitted_at),
                       opt(secs(r.started_at)), opt(secs(r.finished_at)), r.node.empty() ? "-" : r.node,
                       r.config ? fmt::format("{}", *r.config) : "-", opt(secs(r.waiting())),
                       opt(secs(r.end_to_end())), outcome);
  }
  return out;
}

std::string metrics_text(const Metrics& m) {
  auto line = [](const char* name, const stats::Summary& s) {
    return fmt::format("{:<14} min {:8.1f}  mean {:8.1f}  p50 {:8.1f}  p99 {:8.1f}  max {:8.1f}\n", name, s.min,
                       s.mean, s.p50, s.p99, s.max);
  };
  return fmt::format("jobs {}  succeeded {}  failed {}  cancelled (dropped) {}  QoS violations {}  unmeetable at "
                     "submission {}  violations net of them {}\n",
                     m.jobs, m.succeeded, m.failed, m.cancelled, m.violations, m.unmeetable, m.violations_net) +
         line("waiting s", m.waiting) + line("end-to-end s", m.end_to_end) +
         fmt::format("excess s       mean over finished jobs {:.1f}  mean over violating jobs {:.1f}\n",
                     m.excess_mean_all, m.excess_mean_violating);
}

std::string energy_text(const RunEnergy& e) {
  auto mean = e.mean_joules_known();
  return fmt::format("energy (cap x execution time, an upper bound) {}; jobs with unknown energy (no known cap) {}\n",
                     mean ? fmt::format("{:.1f} kJ over {} jobs with a known cap, {:.2f} kJ each", e.joules_known / 1000,
                                        e.jobs_known, *mean / 1000)
                          : std::string{"n/a (no job ran with a known cap)"},
                     e.jobs_unknown);
}

std::string trace_lines(const std::vector<TraceEvent>& trace) {
  std::string out;
  for (const auto& e : trace) out += to_json(e).dump() + "\n";
  return out;
}

}  // namespace synergai::experiments
