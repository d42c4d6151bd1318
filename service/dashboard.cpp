// The dashboard's page and its JSON (service/dashboard.hpp).
#include "service/dashboard.hpp"

#include "config/performance.hpp"
#include "service/dashboard_page.hpp"
#include "support/statistics.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>

namespace synergai::service {
namespace {

using nlohmann::json;

constexpr double default_window_s = 600;
constexpr double max_window_s = 86400;
constexpr std::size_t max_timeline_jobs = 2000;  // the most recent ones, so a poll stays small

Response json_ok(const json& body) {
  return Response{200, "application/json", body.dump(-1, ' ', false, json::error_handler_t::replace), {}};
}

Response bad_request(std::string_view message, std::string_view field) {
  return Response{400, "application/json", error_body(message, field), {}};
}

json instant(const std::optional<TimePoint>& t) { return t ? json(seconds_of(*t)) : json(nullptr); }

// A queued job as the urgency actor ranks it (actors/urgency.cpp): T_remaining
// = T_QoS - T_waiting, the best estimate over the workers with c*, the slack
// between them; jobs that can still make it first, least slack first, then the
// inevitably late ones, oldest first.
struct Ranked {
  const JobRecord* job;
  std::size_t sequence;
  Seconds remaining;
  std::optional<Candidate> best;
  bool late;
  Seconds slack() const { return best ? remaining - best->estimate : Seconds{-std::numeric_limits<double>::infinity()}; }
};

std::vector<Ranked> rank_queue(const std::vector<JobRecord>& jobs, const Performance& performance, TimePoint now) {
  std::vector<Ranked> queue;
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    const auto& r = jobs[i];
    if (r.state != JobState::queued) continue;
    Ranked q{&r, i, r.spec.qos - (now - r.spec.submitted_at), std::nullopt, true};
    auto candidates = performance.optimal_candidates(r.spec.engine, r.spec.queries);
    if (!candidates.empty()) q.best = candidates.front();
    q.late = !q.best || q.remaining < q.best->estimate;
    queue.push_back(std::move(q));
  }
  std::stable_sort(queue.begin(), queue.end(), [](const Ranked& a, const Ranked& b) {
    if (a.late != b.late) return !a.late;
    if (!a.late && a.slack() != b.slack()) return a.slack() < b.slack();
    return a.sequence < b.sequence;
  });
  return queue;
}

// Placement latency: from the instant a job and the worker it went to were
// both free (its submission, or that worker's previous job finishing, whichever
// is later) to its placement. It includes the scheduler's reaction to the
// event and any round in which it chose to wait.
// `finished` holds the finishing instants of the node's jobs, sorted.
std::optional<double> placement_latency(const JobRecord& r, const std::vector<TimePoint>& finished) {
  if (!r.placed_at) return std::nullopt;
  TimePoint ready = r.spec.submitted_at;
  auto it = std::upper_bound(finished.begin(), finished.end(), *r.placed_at);
  // The job's own end counts only if it ended at the instant it was placed (cancelled at once): skip it.
  if (it != finished.begin() && r.finished_at && *r.finished_at == *std::prev(it)) --it;
  if (it != finished.begin()) ready = std::max(ready, *std::prev(it));
  return std::max(0.0, (*r.placed_at - ready).count());
}

json ms_summary(std::vector<double> seconds) {
  if (seconds.empty()) return json{{"count", 0}, {"p50_ms", nullptr}, {"p99_ms", nullptr}, {"max_ms", nullptr}};
  return json{{"count", seconds.size()},
              {"p50_ms", 1000 * stats::percentile(seconds, 50)},
              {"p99_ms", 1000 * stats::percentile(seconds, 99)},
              {"max_ms", 1000 * stats::max(seconds)}};
}

}  // namespace

Response dashboard_page() {
  Response out{200, "text/html; charset=utf-8", std::string{dashboard_html}, {}};
  // The page needs nothing but itself and this origin's API.
  out.headers.emplace_back("Content-Security-Policy",
                           "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
                           "img-src data:; connect-src 'self'; base-uri 'none'; form-action 'none'");
  out.headers.emplace_back("Cache-Control", "no-store");
  out.headers.emplace_back("X-Content-Type-Options", "nosniff");
  return out;
}

Response dashboard_state(const std::vector<JobRecord>& jobs, const DashboardContext& c,
                         const std::map<std::string, std::string>& query) {
  double window = default_window_s;
  for (const auto& [key, value] : query) {
    if (key != "window") return bad_request(fmt::format("unknown parameter \"{}\" (known: window)", key), key);
    double v = 0;
    auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
    if (ec != std::errc{} || p != value.data() + value.size() || !std::isfinite(v) || v < 1 || v > max_window_s)
      return bad_request(fmt::format("expected seconds from 1 to {}", max_window_s), "window");
    window = v;
  }
  const Performance performance{c.testbed, c.dictionary};
  const TimePoint since = c.now - Seconds{window};

  json counters{{"submitted", jobs.size()}, {"queued", 0},    {"running", 0},  {"met", 0},
                {"violated", 0},            {"failed", 0},    {"cancelled", 0}};
  std::map<std::string, std::vector<TimePoint>> finished_on;  // per node, sorted below
  for (const auto& r : jobs) {
    switch (r.state) {
      case JobState::queued: counters["queued"] = counters["queued"].get<int>() + 1; break;
      case JobState::placed:
      case JobState::starting:
      case JobState::running: counters["running"] = counters["running"].get<int>() + 1; break;
      case JobState::succeeded: {
        const char* k = r.violated() ? "violated" : "met";
        counters[k] = counters[k].get<int>() + 1;
        break;
      }
      case JobState::failed: counters["failed"] = counters["failed"].get<int>() + 1; break;
      case JobState::cancelled: counters["cancelled"] = counters["cancelled"].get<int>() + 1; break;
    }
    if (!r.node.empty() && r.finished_at) finished_on[r.node].push_back(*r.finished_at);
  }
  for (auto& [_, times] : finished_on) std::sort(times.begin(), times.end());

  json queue = json::array();
  for (const auto& q : rank_queue(jobs, performance, c.now)) {
    queue.push_back({{"id", q.job->spec.id},
                     {"engine", q.job->spec.engine},
                     {"queries", q.job->spec.queries},
                     {"qos_seconds", q.job->spec.qos.count()},
                     {"submitted_at", seconds_of(q.job->spec.submitted_at)},
                     {"remaining_s", q.remaining.count()},
                     {"best_estimate_s", q.best ? json(q.best->estimate.count()) : json(nullptr)},
                     {"best_node", q.best ? json(q.best->node) : json(nullptr)},
                     {"slack_s", q.best ? json(q.slack().count()) : json(nullptr)},
                     {"late", q.late}});
  }

  // The timeline: jobs that reached a node, still there or finished recently.
  std::vector<const JobRecord*> recent;
  std::vector<double> latencies;
  for (const auto& r : jobs) {
    if (r.node.empty() || !r.placed_at) continue;
    if (r.finished_at && *r.finished_at < since) continue;
    recent.push_back(&r);
    if (auto l = placement_latency(r, finished_on[r.node])) latencies.push_back(*l);
  }
  std::stable_sort(recent.begin(), recent.end(),
                   [](const JobRecord* a, const JobRecord* b) { return *a->placed_at < *b->placed_at; });
  if (recent.size() > max_timeline_jobs) recent.erase(recent.begin(), recent.end() - max_timeline_jobs);
  json timeline = json::array();
  for (const auto* r : recent) {
    json t{{"id", r->spec.id},
           {"node", r->node},
           {"engine", r->spec.engine},
           {"queries", r->spec.queries},
           {"state", to_string(r->state)},
           {"config", r->config ? json(*r->config) : json(nullptr)},
           {"submitted_at", seconds_of(r->spec.submitted_at)},
           {"deadline", seconds_of(r->spec.deadline())},
           {"placed_at", instant(r->placed_at)},
           {"started_at", instant(r->started_at)},
           {"finished_at", instant(r->finished_at)},
           {"qos_violated", is_terminal(r->state) ? json(r->violated()) : json(nullptr)},
           {"message", r->message}};
    timeline.push_back(std::move(t));
  }
  json nodes = json::array();
  for (const auto& n : c.testbed.nodes) nodes.push_back(n.name);

  return json_ok(json{{"service", c.service},
                      {"policy", c.policy},
                      {"now", seconds_of(c.now)},
                      {"window_s", window},
                      {"counters", counters},
                      {"queue", queue},
                      {"nodes", nodes},
                      {"timeline", timeline},
                      {"placement_latency", ms_summary(std::move(latencies))}});
}

}  // namespace synergai::service
