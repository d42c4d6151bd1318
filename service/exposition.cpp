#include "service/exposition.hpp"

#include "service/service.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace synergai::service {
namespace {

using nlohmann::json;

json optional_instant(const std::optional<TimePoint>& t) { return t ? json(seconds_of(*t)) : json(nullptr); }
json optional_seconds(const std::optional<Seconds>& d) { return d ? json(d->count()) : json(nullptr); }

}  // namespace

json job_json(const JobRecord& r) {
  json j{{"id", r.spec.id},
         {"engine", r.spec.engine},
         {"queries", r.spec.queries},
         {"qos_seconds", r.spec.qos.count()},
         {"state", to_string(r.state)},
         {"submitted_at", seconds_of(r.spec.submitted_at)},
         {"node", r.node.empty() ? json(nullptr) : json(r.node)},
         {"config", r.config ? json(*r.config) : json(nullptr)},
         {"placed_at", optional_instant(r.placed_at)},
         {"started_at", optional_instant(r.started_at)},
         {"finished_at", optional_instant(r.finished_at)},
         {"waiting_seconds", optional_seconds(r.waiting())},
         {"end_to_end_seconds", optional_seconds(r.end_to_end())},
         {"qos_violated", is_terminal(r.state) ? json(r.violated()) : json(nullptr)},
         {"message", r.message}};
  return j;
}

std::string dump(const json& body) { return body.dump(-1, ' ', false, json::error_handler_t::replace); }

Response json_response(int status, const json& body) { return Response{status, "application/json", dump(body), {}}; }

Response error_response(int status, std::string_view message, std::string_view field) {
  return Response{status, "application/json", error_body(message, field), {}};
}

std::string error_body(std::string_view message, std::string_view field) {
  return dump(json{{"error", message}, {"field", field.empty() ? json(nullptr) : json(field)}});
}

json worker_json(const NodeSpec& node, const JobRecord* current, std::optional<int> power_mode, const NodeEvent* last) {
  json w{{"node", node.name},
         {"kubernetes_node", node.kubernetes_node},
         {"state", !current ? "idle" : current->state == JobState::placed ? "reserved" : "busy"},
         {"job", current ? json(current->spec.id) : json(nullptr)}};
  if (!power_mode) power_mode = node.default_mode;
  w["power_mode"] = power_mode ? json(*power_mode) : json(nullptr);
  w["last_transition"] =
      last ? json{{"at", seconds_of(last->at)}, {"job", last->job}, {"to", to_string(last->to)}} : json(nullptr);
  return w;
}

Histogram::Histogram(std::vector<double> bounds) : bounds_{std::move(bounds)}, counts_(bounds_.size(), 0) {}

void Histogram::observe(double value) {
  auto bucket = std::lower_bound(bounds_.begin(), bounds_.end(), value);  // first bound >= value
  if (bucket != bounds_.end()) ++counts_[static_cast<std::size_t>(bucket - bounds_.begin())];
  sum_ += value;
  ++count_;
}

std::vector<double> job_seconds_buckets() { return {0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800}; }

std::vector<double> round_seconds_buckets() {
  return {0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1};
}

namespace {

// One metric family: its HELP and TYPE lines, then its samples. Label values
// are escaped as the text format asks (backslash, quote, newline).
class Family {
 public:
  Family(std::string& out, std::string_view name, std::string_view type, std::string_view help)
      : out_{out}, name_{name} {
    out_ += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
  }
  template <class Value>
  void sample(const Value& value) {
    out_ += fmt::format("{} {}\n", name_, value);
  }
  template <class Value>
  void sample(std::string_view label, std::string_view label_value, const Value& value) {
    out_ += fmt::format("{}{{{}=\"{}\"}} {}\n", name_, label, escape(label_value), value);
  }

  static std::string escape(std::string_view v) {
    std::string e;
    for (char c : v) {
      if (c == '\\') e += "\\\\";
      else if (c == '"') e += "\\\"";
      else if (c == '\n') e += "\\n";
      else e += c;
    }
    return e;
  }

 private:
  std::string& out_;
  std::string name_;
};

void histogram(std::string& out, std::string_view name, std::string_view help, const Histogram& h) {
  out += fmt::format("# HELP {} {}\n# TYPE {} histogram\n", name, help, name);
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < h.bounds().size(); ++i) {
    cumulative += h.counts()[i];
    out += fmt::format("{}_bucket{{le=\"{}\"}} {}\n", name, h.bounds()[i], cumulative);
  }
  out += fmt::format("{}_bucket{{le=\"+Inf\"}} {}\n{}_sum {}\n{}_count {}\n", name, h.count(), name, h.sum(), name,
                     h.count());
}

}  // namespace

std::string metrics_text(const MetricsFigures& f) {
  std::string out;
  Family{out, "synergai_build_info", "gauge", "The program's version, as a label; always 1."}.sample(
      "version", SYNERGAI_VERSION, 1);
  {
    // The queue's length is the queued state's sample.
    Family jobs{out, "synergai_jobs", "gauge", "Jobs the service holds, by state (queued: the queue's length)."};
    for (const auto& [s, n] : f.by_state) jobs.sample("state", to_string(s), n);
  }
  Family{out, "synergai_jobs_accepted_total", "counter", "Jobs accepted since start, the journal's jobs included."}
      .sample(f.accepted);
  Family{out, "synergai_qos_violations_total", "counter", "Finished jobs that missed their QoS or did not succeed."}
      .sample(f.violations);
  Family{out, "synergai_jobs_forgotten_total", "counter", "Finished jobs forgotten by the retention since start."}
      .sample(f.forgotten);
  histogram(out, "synergai_job_waiting_seconds", "Submission to start, of jobs that started.", f.waiting);
  histogram(out, "synergai_job_end_to_end_seconds", "Submission to completion, of finished jobs.", f.end_to_end);
  Family{out, "synergai_decisions_total", "counter", "Placements made by the scheduler since start."}.sample(
      f.decisions);
  histogram(out, "synergai_scheduling_round_duration_seconds",
            "Wall time of each planning round of the urgency actor (its queue, the policy's plan, the reservations).",
            f.rounds);
  {
    Family busy{out, "synergai_node_busy", "gauge", "1 while a job is placed, starting or running on the node."};
    for (const auto& n : f.nodes) busy.sample("node", n.name, n.busy ? 1 : 0);
  }
  {
    Family mode{out, "synergai_node_power_mode", "gauge",
                "The node's power mode (nvpmodel id): its last job's, else the testbed's default."};
    for (const auto& n : f.nodes)
      if (n.power_mode) mode.sample("node", n.name, *n.power_mode);
  }
  {
    Family started{out, "synergai_node_jobs_started_total", "counter", "Jobs that started on the node since start."};
    for (const auto& n : f.nodes) started.sample("node", n.name, n.jobs_started);
  }
  if (f.api_errors)
    Family{out, "synergai_apiserver_request_errors_total", "counter",
           "Kubernetes API requests that failed (retries included)."}
        .sample(*f.api_errors);
  {
    Family responses{out, "synergai_http_responses_total", "counter", "HTTP responses by status code."};
    for (const auto& [code, n] : f.responses) responses.sample("code", std::to_string(code), n);
  }
  if (f.journal) {
    const auto& s = *f.journal;
    Family{out, "synergai_journal_size_bytes", "gauge", "Size of the journal file."}.sample(s.bytes);
    Family{out, "synergai_journal_fsyncs_total", "counter", "Journal fsyncs."}.sample(s.fsyncs);
    Family{out, "synergai_journal_compactions_total", "counter", "Journal rewrites."}.sample(s.compactions);
    Family{out, "synergai_journal_write_failures_total", "counter",
           "Journal batches that could not be written (cut off again)."}
        .sample(s.write_failures);
    Family{out, "synergai_journal_failing", "gauge", "1 while the journal's last write failed (submissions answer 503)."}
        .sample(s.failing ? 1 : 0);
    Family{out, "synergai_journal_pending_lines", "gauge", "Journal lines waiting to be written."}.sample(s.pending);
    Family replay{out, "synergai_journal_replay_records", "gauge",
                  "Journal records at start that were not replayed as written."};
    replay.sample("outcome", "refused", f.replay_refused);
    replay.sample("outcome", "dropped_damaged", f.replay_dropped);
    replay.sample("outcome", "torn_tail", s.repaired.bytes_cut > 0 ? 1 : 0);
    replay.sample("outcome", "newline_added", s.repaired.newline_added);
  }
  return out;
}

}  // namespace synergai::service
