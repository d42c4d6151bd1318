// The HTTP API's routes (docs/operations.md, "HTTP API"): each request's
// target and method to its handler, the bearer token, and the handlers, which
// check requests with service/validation.hpp, act on the job table of the
// core (service.cpp) and answer with service/exposition.hpp.
#include "service/dashboard.hpp"
#include "service/exposition.hpp"
#include "service/service.hpp"
#include "service/validation.hpp"
#include "support/log.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <future>
#include <optional>
#include <variant>

namespace synergai::service {
namespace {

using nlohmann::json;

bool constant_time_equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

}  // namespace

void Service::handle_async(const Request& r, Reply reply) {
  Reply counted = [this, reply = std::move(reply)](Response out) {
    {
      std::lock_guard lock{mutex_};
      ++responses_[out.status];
    }
    reply(std::move(out));
  };
  std::optional<Response> out;
  try {
    out = route(r, counted);
  } catch (const std::exception& e) {
    // Thrown before submit() took the reply: nothing has answered yet.
    log::error("service", "request failed", {{"method", r.method}, {"target", r.target}, {"error", e.what()}});
    out = error_response(500, "internal error", "");
  }
  if (out) counted(std::move(*out));
}

Response Service::handle(const Request& r) {
  std::promise<Response> answer;
  auto future = answer.get_future();
  handle_async(r, [&answer](Response out) { answer.set_value(std::move(out)); });
  return future.get();
}

std::optional<Response> Service::route(const Request& r, const Reply& reply) {
  auto [path, query] = split_target(r.target);
  bool url_ok = valid_utf8(path);
  for (const auto& [k, v] : query) url_ok = url_ok && valid_utf8(k) && valid_utf8(v);
  if (!url_ok) return error_response(400, "the URL is not valid UTF-8 once percent-decoded", "url");
  if (!valid_utf8(r.body)) return error_response(400, "the body is not valid UTF-8", "body");
  Response out;
  if (path == "/") {  // the dashboard page: no data in it, so no token (service/dashboard.hpp)
    out = r.method == "GET" ? dashboard_page() : error_response(405, "use GET", "");
  } else if (path == "/healthz") {
    out = r.method == "GET" ? json_response(200, {{"status", "ok"}}) : error_response(405, "use GET", "");
  } else if (path == "/readyz") {
    out = r.method != "GET" ? error_response(405, "use GET", "")
          : !ready_         ? json_response(503, {{"status", "starting"}, {"waiting_for", "journal"}})
          : !ready()        ? json_response(503, {{"status", "starting"}, {"waiting_for", "executor"}})
          : journal_failing()
              ? json_response(503, {{"status", "journal failing"}, {"error", journal_->stats().last_error}})
              : json_response(200, {{"status", "ready"}});
  } else if (path == "/metrics") {
    out = r.method == "GET" ? metrics() : error_response(405, "use GET", "");
  } else if (path.rfind("/v1/", 0) == 0) {
    std::string_view auth{r.authorization};
    if (!token_.empty() && !(auth.rfind("Bearer ", 0) == 0 && constant_time_equal(auth.substr(7), token_))) {
      out = error_response(401, "missing or wrong bearer token", "Authorization");
      out.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"synergai\"");
    } else if (!ready_) {
      out = error_response(503, "the service is starting (journal replay)", "");
    } else if (path == "/v1/jobs") {
      if (r.method == "POST") {
        submit(r, reply);
        return std::nullopt;
      }
      out = r.method == "GET" ? list(query) : error_response(405, "use GET or POST", "");
    } else if (path.rfind("/v1/jobs/", 0) == 0 && path.size() > 9 && path.find('/', 9) == std::string::npos) {
      auto id = path.substr(9);
      out = r.method == "GET" ? get(id) : r.method == "DELETE" ? cancel(id) : error_response(405, "use GET or DELETE", "");
    } else if (path == "/v1/workers") {
      out = r.method == "GET" ? workers() : error_response(405, "use GET", "");
    } else if (path == "/v1/dashboard") {
      out = r.method == "GET" ? dashboard_state(snapshot(), {testbed_, dictionary_, config_.name, config_.policy,
                                                             scheduler_->now()}, query)
                              : error_response(405, "use GET", "");
    } else {
      out = error_response(404, fmt::format("no such resource: {}", path), "");
    }
  } else {
    out = error_response(404, fmt::format("no such resource: {}", path), "");
  }
  return out;
}

// Answers once the submission's line is fsynced (its batch shared with every
// other line pending then), from the thread that wrote the batch (this one,
// when nobody else was writing): no HTTP thread waits behind another's fsync,
// so that many submissions wait on one.
void Service::submit(const Request& r, const Reply& reply) {
  auto parsed = parse_submission(r.body, testbed_, dictionary_);
  if (auto* refused = std::get_if<Refusal>(&parsed))
    return reply(error_response(refused->status, refused->message, refused->field));
  JobSpec spec = std::get<JobSpec>(std::move(parsed));
  const bool generated = spec.id.empty();
  JobRecord record;
  std::uint64_t line = 0;
  std::uint64_t seq_of_repeat = 0;
  std::optional<Response> refused;  // answered after the table's lock: the reply counts under it
  {
    std::lock_guard lock{mutex_};
    expire(now());
    if (generated) {
      auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
      do spec.id = fmt::format("job-{}-{}", ms, ++next_id_);
      while (jobs_.count(spec.id));
    } else if (auto it = jobs_.find(spec.id); it != jobs_.end()) {
      const auto& old = it->second.record.spec;
      if (old.engine != spec.engine || old.queries != spec.queries || old.qos != spec.qos) {
        refused = error_response(409, fmt::format("job {} exists with another body", spec.id), "id");
      } else {
        record = it->second.record;
        seq_of_repeat = it->second.seq;
        spec.id.clear();  // marks the repeat
      }
    }
    if (!refused && !spec.id.empty()) {
      spec.submitted_at = scheduler_->now();
      record = JobRecord{};
      record.spec = spec;
      insert(record);
      // Queued with the table's lock held: a compaction sees the job and its
      // pending line together, and leaves it out until the line is written.
      try {
        line = journal_->enqueue(record, true);
        auto& slot = jobs_.at(spec.id);
        slot.shown.reset();  // not a job until its line is in the file
        slot.line = line;
      } catch (const std::exception& e) {
        erase(spec.id);
        --accepted_;
        refused = error_response(503, fmt::format("the journal cannot be written: {}", e.what()), "");
      }
    }
  }
  if (refused) return reply(std::move(*refused));
  if (spec.id.empty()) {
    // A repeat: its answer waits for the first submission's fsync (every line
    // queued so far tried), and is a 201 only if that submission was accepted
    // after all.
    journal_->on_written(journal_->queued(), [this, reply, id = record.spec.id, seq_of_repeat](const std::string*) {
      Response out;
      {
        std::lock_guard lock{mutex_};
        auto it = jobs_.find(id);
        out = it == jobs_.end() || it->second.seq != seq_of_repeat
                  ? error_response(503, "the journal cannot be written; the job was not accepted", "")
                  : json_response(201, job_json(it->second.record));
      }
      reply(std::move(out));
    });
    return;
  }
  journal_->on_written(line, [this, reply, spec, record, line](const std::string* error) {
    if (error) {
      log::error("service", "job not accepted", {{"job", spec.id}, {"error", *error}});
      {
        std::lock_guard lock{mutex_};
        erase(spec.id);
        --accepted_;
      }
      journal_->settle(line);
      return reply(error_response(503, "the journal cannot be written; the job was not accepted", ""));
    }
    scheduler_->submit(spec);
    auto response = json_response(201, job_json(record));
    response.headers.emplace_back("Location", "/v1/jobs/" + spec.id);
    reply(std::move(response));
  });
}

Response Service::list(const std::map<std::string, std::string>& query) {
  auto parsed = parse_list_query(query);
  if (auto* refused = std::get_if<Refusal>(&parsed)) return error_response(refused->status, refused->message, refused->field);
  const auto& [state, limit, offset, after] = std::get<ListQuery>(parsed);
  std::lock_guard lock{mutex_};
  expire(now());
  json items = json::array();
  std::size_t total = 0, skipped = 0;
  std::uint64_t last = 0;
  bool more = false;
  for (const auto& [seq, id] : order_) {
    const auto* shown = visible(jobs_.at(id));
    if (!shown) continue;  // its submission is not answered yet
    const auto& r = *shown;
    if (state && r.state != *state) continue;
    ++total;
    if ((after && seq <= *after) || skipped++ < offset) continue;
    if (items.size() < limit) {
      items.push_back(job_json(r));
      last = seq;
    } else {
      more = true;
    }
  }
  json body{{"jobs", items}, {"total", total}, {"offset", offset}, {"limit", limit}};
  body["next_offset"] = !after && more ? json(offset + items.size()) : json(nullptr);
  // A position in submission order rather than a count: jobs forgotten or
  // submitted between two pages neither shift nor repeat the next one.
  body["continue"] = more ? json(std::to_string(last)) : json(nullptr);
  return json_response(200, body);
}

Response Service::get(const std::string& id) {
  std::lock_guard lock{mutex_};
  expire(now());
  auto it = jobs_.find(id);
  const JobRecord* shown = it == jobs_.end() ? nullptr : visible(it->second);
  if (!shown) return error_response(404, fmt::format("no job {}", id), "id");
  return json_response(200, job_json(*shown));
}

Response Service::cancel(const std::string& id) {
  std::lock_guard lock{mutex_};
  auto it = jobs_.find(id);
  if (it == jobs_.end() || !visible(it->second)) return error_response(404, fmt::format("no job {}", id), "id");
  const auto& r = it->second.record;
  if (r.state == JobState::cancelled) return json_response(200, job_json(r));
  if (is_terminal(r.state)) return error_response(409, fmt::format("job {} already {}", id, to_string(r.state)), "id");
  scheduler_->cancel(id);  // to the job's owner: the queue, or the worker holding it
  return json_response(202, job_json(r));
}

Response Service::workers() {
  std::lock_guard lock{mutex_};
  json out = json::array();
  for (const auto& node : testbed_.nodes) {
    const JobRecord* current = nullptr;
    if (auto held = node_job_.find(node.name); held != node_job_.end()) current = &jobs_.at(held->second).record;
    auto mode = node_mode_.find(node.name);
    auto last = node_last_.find(node.name);
    out.push_back(worker_json(node, current, mode != node_mode_.end() ? std::optional<int>{mode->second} : std::nullopt,
                              last != node_last_.end() ? &last->second : nullptr));
  }
  return json_response(200, json{{"workers", out}});
}

Response Service::metrics() {
  MetricsFigures f;
  for (auto s : {JobState::queued, JobState::placed, JobState::starting, JobState::running, JobState::succeeded,
                 JobState::failed, JobState::cancelled})
    f.by_state[s] = 0;
  {
    std::lock_guard lock{mutex_};
    if (ready_) expire(now());  // before start() is done, the scheduler is being built
    for (const auto& [state, n] : by_state_) f.by_state[state] = n;
    f.waiting = waiting_;
    f.end_to_end = end_to_end_;
    f.rounds = rounds_;
    f.violations = violations_;
    f.decisions = decisions_;
    f.responses = responses_;
    f.accepted = accepted_;
    f.forgotten = forgotten_;
    for (const auto& node : testbed_.nodes) {
      MetricsFigures::Node n{node.name, node_job_.count(node.name) > 0, node.default_mode, 0};
      if (auto mode = node_mode_.find(node.name); mode != node_mode_.end()) n.power_mode = mode->second;
      if (auto started = node_started_.find(node.name); started != node_started_.end()) n.jobs_started = started->second;
      f.nodes.push_back(std::move(n));
    }
  }
  if (api_errors_) f.api_errors = api_errors_();
  if (journal_) f.journal = journal_->stats();
  f.replay_refused = replay_invalid_;
  f.replay_dropped = replay_dropped_;
  return Response{200, "text/plain; version=0.0.4", metrics_text(f), {}};
}

}  // namespace synergai::service
