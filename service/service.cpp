#include "service/service.hpp"

#include "service/dashboard.hpp"
#include "support/errors.hpp"
#include "support/log.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <cmath>
#include <fstream>
#include <limits>

namespace synergai::service {
namespace {

using nlohmann::json;

constexpr long long max_queries = 1'000'000'000;
constexpr double max_qos_seconds = 30.0 * 24 * 3600;
constexpr std::array<double, 13> buckets{0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800};

// Text from clients may be anything: a byte that is not UTF-8 is replaced
// rather than making the answer itself fail.
std::string dump(const json& body) { return body.dump(-1, ' ', false, json::error_handler_t::replace); }

Response json_response(int status, const json& body) { return Response{status, "application/json", dump(body), {}}; }

// Well-formed UTF-8: no stray continuation bytes, overlong forms, surrogates
// or code points past U+10FFFF.
bool valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    const std::size_t more = c < 0x80 ? 0 : (c >> 5) == 0x6 ? 1 : (c >> 4) == 0xE ? 2 : (c >> 3) == 0x1E ? 3 : 4;
    if (more == 4 || i + more >= s.size()) return false;  // not a lead byte, or cut short
    std::uint32_t cp = more == 0 ? c : more == 1 ? (c & 0x1Fu) : more == 2 ? (c & 0x0Fu) : (c & 0x07u);
    for (std::size_t k = 1; k <= more; ++k) {
      const auto d = static_cast<unsigned char>(s[i + k]);
      if ((d >> 6) != 0x2) return false;
      cp = (cp << 6) | (d & 0x3Fu);
    }
    if ((more == 1 && cp < 0x80) || (more == 2 && cp < 0x800) || (more == 3 && cp < 0x10000) || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF))
      return false;
    i += more + 1;
  }
  return true;
}

Response error(int status, std::string_view message, std::string_view field) {
  return Response{status, "application/json", error_body(message, field), {}};
}

json optional_instant(const std::optional<TimePoint>& t) { return t ? json(seconds_of(*t)) : json(nullptr); }
json optional_seconds(const std::optional<Seconds>& d) { return d ? json(d->count()) : json(nullptr); }

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

JobRecord fresh(const JobSpec& spec) {
  JobRecord r;
  r.spec = spec;
  return r;
}

bool valid_id(const std::string& id) {
  if (id.empty() || id.size() > 63) return false;
  auto alnum = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; };
  if (!alnum(id.front()) || !alnum(id.back())) return false;
  return std::all_of(id.begin(), id.end(), [&](char c) { return alnum(c) || c == '-' || c == '_' || c == '.'; });
}

std::string percent_decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      int v = 0;
      auto [p, ec] = std::from_chars(s.data() + i + 1, s.data() + i + 3, v, 16);
      if (ec == std::errc{} && p == s.data() + i + 3) {
        out += static_cast<char>(v);
        i += 2;
        continue;
      }
    }
    out += s[i] == '+' ? ' ' : s[i];
  }
  return out;
}

std::pair<std::string, std::map<std::string, std::string>> split_target(const std::string& target) {
  auto q = target.find('?');
  std::map<std::string, std::string> query;
  if (q != std::string::npos) {
    std::string_view rest{target};
    rest.remove_prefix(q + 1);
    while (!rest.empty()) {
      auto amp = rest.find('&');
      auto part = rest.substr(0, amp);
      auto eq = part.find('=');
      query[percent_decode(part.substr(0, eq))] = eq == std::string_view::npos ? "" : percent_decode(part.substr(eq + 1));
      if (amp == std::string_view::npos) break;
      rest.remove_prefix(amp + 1);
    }
  }
  return {percent_decode(target.substr(0, q)), query};
}

std::optional<long long> parse_count(const std::string& s, long long max) {
  long long v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || p != s.data() + s.size() || v < 0 || v > max) return std::nullopt;
  return v;
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

template <class Histogram>
void histogram(std::string& out, std::string_view name, std::string_view help, const Histogram& h) {
  out += fmt::format("# HELP {} {}\n# TYPE {} histogram\n", name, help, name);
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < buckets.size(); ++i) {
    cumulative += h.counts[i];
    out += fmt::format("{}_bucket{{le=\"{}\"}} {}\n", name, buckets[i], cumulative);
  }
  out += fmt::format("{}_bucket{{le=\"+Inf\"}} {}\n{}_sum {}\n{}_count {}\n", name, h.count, name, h.sum, name,
                     h.count);
}

// A job in these states holds its node.
bool holds_node(JobState s) { return s == JobState::placed || s == JobState::starting || s == JobState::running; }

}  // namespace

std::string error_body(std::string_view message, std::string_view field) {
  return dump(json{{"error", message}, {"field", field.empty() ? json(nullptr) : json(field)}});
}

Service::Service(config::ServiceConfig config, config::Testbed testbed, config::Dictionary dictionary,
                 ExecutorFactory executor, ErrorCounter api_errors, ExecutorReady executor_ready)
    : config_{std::move(config)},
      testbed_{std::move(testbed)},
      dictionary_{std::move(dictionary)},
      executor_{std::move(executor)},
      api_errors_{std::move(api_errors)},
      executor_ready_{std::move(executor_ready)} {
  if (config_.token_file) {
    std::ifstream in{*config_.token_file};
    std::string token{std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
    while (!token.empty() && std::isspace(static_cast<unsigned char>(token.back()))) token.pop_back();
    while (!token.empty() && std::isspace(static_cast<unsigned char>(token.front()))) token.erase(token.begin());
    if (token.empty()) throw InputError{fmt::format("{}: the token file is empty", config_.token_file->string())};
    token_ = token;
  }
}

Service::~Service() { stop(); }

namespace {

// Why the API would refuse this job, or nothing: replayed records obey the
// same rules as new submissions.
std::optional<std::string> refusal_of(const JobSpec& spec, const config::Testbed& testbed) {
  if (!valid_id(spec.id)) return fmt::format("id \"{}\" is not 1 to 63 of [A-Za-z0-9._-]", spec.id);
  if (!testbed.find_engine(spec.engine)) return fmt::format("unknown engine \"{}\"", spec.engine);
  if (spec.queries < 1 || spec.queries > max_queries)
    return fmt::format("queries {} is not between 1 and {}", spec.queries, max_queries);
  const double qos = spec.qos.count();
  if (!(qos > 0) || qos > max_qos_seconds || !std::isfinite(qos))
    return fmt::format("qos_seconds {} is not positive and at most {}", qos, max_qos_seconds);
  return std::nullopt;
}

}  // namespace

void Service::start() {
  auto replay = read_journal(config_.journal);
  if (!replay.damaged.empty()) {
    const auto& [line, text] = replay.damaged.front();
    if (!config_.accept_journal_damage)
      throw InputError{fmt::format(
          "journal {}: {} damaged line(s) before its end (first at line {}: \"{}\"); the service does not start on "
          "a damaged journal: restore it from a copy, or start with --accept-journal-damage to drop those lines "
          "(kept in {}.dropped)",
          config_.journal.string(), replay.damaged.size(), line, text.substr(0, 80), config_.journal.string())};
    auto dropped = config_.journal;
    dropped += ".dropped";
    std::ofstream out{dropped, std::ios::app};
    for (const auto& [n, t] : replay.damaged) out << t << '\n';
    out.flush();
    if (!out) throw RuntimeError{fmt::format("cannot keep the dropped lines in {}", dropped.string())};
    log::warn("service", "damaged journal lines dropped (--accept-journal-damage)",
              {{"journal", config_.journal.string()}, {"lines", replay.damaged.size()}, {"kept_in", dropped.string()}});
    replay_dropped_ = replay.damaged.size();
  }
  std::vector<JobSpec> unfinished;
  std::vector<JobRecord> resumed;
  std::vector<JobRecord> refused;  // journaled as failed once the journal is open
  std::size_t forgotten = 0;
  {
    std::lock_guard lock{mutex_};
    for (auto& r : replay.jobs) {
      if (auto why = refusal_of(r.spec, testbed_); why && !is_terminal(r.state)) {
        log::warn("service", "job refused on replay",
                  {{"job", r.spec.id}, {"reason", *why}, {"journal", config_.journal.string()}});
        r.state = JobState::failed;
        r.message = "refused on replay: " + *why;
        ++replay_invalid_;
        refused.push_back(r);
      }
      if (is_terminal(r.state)) {
        insert(r);
        continue;
      }
      // Queued again with its original submission instant; a job that was
      // placed or running goes back to its node and configuration (the
      // Kubernetes bridge adopts its existing Job instead of creating another).
      if (r.state != JobState::queued && !r.node.empty() && r.config) resumed.push_back(r);
      else unfinished.push_back(r.spec);
      insert(fresh(r.spec));
    }
    // The journal lists jobs in order of submission; the retention forgets in
    // order of finishing.
    std::stable_sort(finished_.begin(), finished_.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    forgotten = expire(now());
  }
  replayed_ = replay.jobs.size();
  journal_ = std::make_unique<Journal>(config_.journal, config_.journal_compact_bytes, [this] { return snapshot(); });
  for (const auto& r : refused) journal_->append(r, false);
  // Dropped lines and forgotten jobs leave the file.
  if (replay_dropped_ > 0 || forgotten > 0) journal_->rewrite();
  SchedulerOptions options;
  options.runtime.policy = config_.policy;
  options.runtime.tick = config_.tick;
  options.runtime.reservation_ttl = config_.reservation_ttl;
  options.runtime.seed = config_.simulated.seed;
  options.runtime.noise_sigma = config_.simulated.noise_sigma;
  options.speedup = config_.simulated.speedup;
  scheduler_ = std::make_unique<Scheduler>(testbed_, dictionary_, options, executor_,
                                           [this](const JobRecord& r) { observe(r); });
  // Resumed jobs first: their nodes are taken before any queued job is planned.
  for (const auto& r : resumed) scheduler_->resume(r.spec, r.node, *r.config);
  if (!executor_ready_) {
    for (const auto& spec : unfinished) scheduler_->submit(spec);
  } else {
    std::optional<std::vector<kube::JobPlacement>> listed;
    {
      std::lock_guard lock{mutex_};
      if (listed_) listed = std::move(listed_);
      else held_ = unfinished;
    }
    if (listed) place_replayed(unfinished, *listed);
  }
  log::info("service", "journal replayed",
            {{"journal", config_.journal.string()},
             {"jobs", replay.jobs.size()},
             {"resumed", resumed.size()},
             {"queued", unfinished.size()},
             {"forgotten", forgotten},
             {"lines", replay.lines},
             {"skipped", replay.skipped}});
  ready_ = true;
}

void Service::executor_listed(const std::vector<kube::JobPlacement>& jobs) {
  std::optional<std::vector<JobSpec>> held;
  {
    std::lock_guard lock{mutex_};
    if (held_) held = std::move(held_);
    else listed_ = jobs;  // start() takes it
    held_.reset();
  }
  if (held) place_replayed(*held, jobs);
}

void Service::place_replayed(const std::vector<JobSpec>& specs, const std::vector<kube::JobPlacement>& jobs) {
  std::map<std::string, const kube::JobPlacement*> by_id;
  for (const auto& j : jobs) by_id[j.job_id] = &j;
  std::size_t found = 0;
  for (const auto& spec : specs) {
    auto it = by_id.find(spec.id);
    if (it != by_id.end() && testbed_.find_node(it->second->node)) {
      ++found;
      log::info("service", "replayed job goes back to the node of its existing Job",
                {{"job", spec.id}, {"node", it->second->node}, {"config", fmt::format("{}", it->second->config)}});
      scheduler_->resume(spec, it->second->node, it->second->config);
    } else {
      scheduler_->submit(spec);
    }
  }
  if (!specs.empty())
    log::info("service", "replayed queued jobs placed",
              {{"jobs", specs.size()}, {"on_existing_job_node", found}, {"queued", specs.size() - found}});
}

std::size_t Service::stop() {
  if (stopped_.exchange(true)) return unwritten_;
  ready_ = false;
  if (scheduler_) scheduler_->stop();
  if (journal_) unwritten_ = journal_->close();
  return unwritten_;
}

std::vector<JobRecord> Service::snapshot() const {
  std::lock_guard lock{mutex_};
  std::vector<JobRecord> out;
  out.reserve(order_.size());
  for (const auto& [_, id] : order_) out.push_back(jobs_.at(id).record);
  return out;
}

TimePoint Service::now() const {
  if (scheduler_) return scheduler_->now();
  return TimePoint{std::chrono::duration_cast<Seconds>(std::chrono::system_clock::now().time_since_epoch())};
}

void Service::Histogram::observe(double value) {
  auto bucket = std::lower_bound(buckets.begin(), buckets.end(), value);  // first bound >= value
  if (bucket != buckets.end()) ++counts[static_cast<std::size_t>(bucket - buckets.begin())];
  sum += value;
  ++count;
}

const JobRecord* Service::visible(Slot& slot) const {
  if (slot.line != 0 && journal_ && slot.line <= journal_->written()) {
    slot.shown = slot.record;
    slot.line = 0;
  }
  return slot.shown ? &*slot.shown : nullptr;
}

void Service::insert(const JobRecord& record) {
  auto seq = next_seq_++;
  order_.emplace(seq, record.spec.id);
  auto& slot = jobs_[record.spec.id];
  slot = Slot{record, seq, record, 0};
  ++accepted_;
  track(nullptr, &slot.record);
}

void Service::erase(const std::string& id) {
  auto it = jobs_.find(id);
  if (it == jobs_.end()) return;
  track(&it->second.record, nullptr);
  order_.erase(it->second.seq);
  jobs_.erase(it);
}

void Service::track(const JobRecord* before, const JobRecord* after) {
  if (before) {
    --by_state_[before->state];
    if (holds_node(before->state))
      if (auto it = node_job_.find(before->node); it != node_job_.end() && it->second == before->spec.id)
        node_job_.erase(it);
  }
  if (!after) return;
  ++by_state_[after->state];
  if (holds_node(after->state) && !after->node.empty()) node_job_[after->node] = after->spec.id;
  if (after->started_at && !(before && before->started_at))
    if (auto w = after->waiting()) waiting_.observe(w->count());
  if (is_terminal(after->state) && !(before && is_terminal(before->state))) {
    if (auto e = after->end_to_end()) end_to_end_.observe(e->count());
    if (after->violated()) ++violations_;
    finished_.emplace_back(after->finished_at.value_or(now()), after->spec.id);
  }
}

std::size_t Service::expire(TimePoint at) {
  const auto& keep = config_.retention;
  std::size_t n = 0;
  while (!finished_.empty() &&
         (finished_.size() > keep.max_finished_jobs || finished_.front().first + keep.finished_ttl <= at)) {
    erase(finished_.front().second);
    finished_.pop_front();
    ++n;
  }
  forgotten_ += n;
  return n;
}

void Service::observe(const JobRecord& record) {
  std::lock_guard lock{mutex_};
  auto it = jobs_.find(record.spec.id);
  if (it == jobs_.end()) {
    insert(fresh(record.spec));
    it = jobs_.find(record.spec.id);
  }
  auto& entry = it->second;
  auto& slot = entry.record;
  if (slot == record) return;
  visible(entry);  // the record replaced here may be in the file by now: shown until this one is
  if (slot.state != record.state) {
    if (record.state == JobState::placed) ++decisions_;
    if (!record.node.empty()) {
      auto at = record.finished_at ? *record.finished_at
                : record.started_at ? *record.started_at
                : record.placed_at  ? *record.placed_at
                                    : scheduler_->now();
      node_last_[record.node] = NodeEvent{at, record.spec.id, record.state};
      if (record.state == JobState::running && record.config && record.config->mode)
        node_mode_[record.node] = *record.config->mode;
    }
  }
  track(&slot, &record);
  slot = record;
  try {
    entry.line = journal_->enqueue(record, false);
  } catch (const std::exception& e) {
    entry.line = std::numeric_limits<std::uint64_t>::max();  // never in the file: never shown
    log::error("service", "journal line not queued", {{"job", record.spec.id}, {"error", e.what()}});
  }
  expire(now());
}

Response Service::handle(const Request& r) {
  Response out;
  try {
    out = route(r);
  } catch (const std::exception& e) {
    log::error("service", "request failed", {{"method", r.method}, {"target", r.target}, {"error", e.what()}});
    out = error(500, "internal error", "");
  }
  std::lock_guard lock{mutex_};
  ++responses_[out.status];
  return out;
}

Response Service::route(const Request& r) {
  auto [path, query] = split_target(r.target);
  bool url_ok = valid_utf8(path);
  for (const auto& [k, v] : query) url_ok = url_ok && valid_utf8(k) && valid_utf8(v);
  if (!url_ok) return error(400, "the URL is not valid UTF-8 once percent-decoded", "url");
  if (!valid_utf8(r.body)) return error(400, "the body is not valid UTF-8", "body");
  Response out;
  if (path == "/") {  // the dashboard page: no data in it, so no token (service/dashboard.hpp)
    out = r.method == "GET" ? dashboard_page() : error(405, "use GET", "");
  } else if (path == "/healthz") {
    out = r.method == "GET" ? json_response(200, {{"status", "ok"}}) : error(405, "use GET", "");
  } else if (path == "/readyz") {
    out = r.method != "GET" ? error(405, "use GET", "")
          : !ready_         ? json_response(503, {{"status", "starting"}, {"waiting_for", "journal"}})
          : !ready()        ? json_response(503, {{"status", "starting"}, {"waiting_for", "executor"}})
          : journal_failing()
              ? json_response(503, {{"status", "journal failing"}, {"error", journal_->stats().last_error}})
              : json_response(200, {{"status", "ready"}});
  } else if (path == "/metrics") {
    out = r.method == "GET" ? metrics() : error(405, "use GET", "");
  } else if (path.rfind("/v1/", 0) == 0) {
    std::string_view auth{r.authorization};
    if (!token_.empty() && !(auth.rfind("Bearer ", 0) == 0 && constant_time_equal(auth.substr(7), token_))) {
      out = error(401, "missing or wrong bearer token", "Authorization");
      out.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"synergai\"");
    } else if (!ready_) {
      out = error(503, "the service is starting (journal replay)", "");
    } else if (path == "/v1/jobs") {
      out = r.method == "POST" ? submit(r) : r.method == "GET" ? list(query) : error(405, "use GET or POST", "");
    } else if (path.rfind("/v1/jobs/", 0) == 0 && path.size() > 9 && path.find('/', 9) == std::string::npos) {
      auto id = path.substr(9);
      out = r.method == "GET" ? get(id) : r.method == "DELETE" ? cancel(id) : error(405, "use GET or DELETE", "");
    } else if (path == "/v1/workers") {
      out = r.method == "GET" ? workers() : error(405, "use GET", "");
    } else if (path == "/v1/dashboard") {
      out = r.method == "GET" ? dashboard_state(snapshot(), {testbed_, dictionary_, config_.name, config_.policy,
                                                             scheduler_->now()}, query)
                              : error(405, "use GET", "");
    } else {
      out = error(404, fmt::format("no such resource: {}", path), "");
    }
  } else {
    out = error(404, fmt::format("no such resource: {}", path), "");
  }
  return out;
}

Response Service::submit(const Request& r) {
  json body;
  try {
    body = json::parse(r.body);
  } catch (const std::exception& e) {
    return error(400, fmt::format("malformed JSON: {}", e.what()), "body");
  }
  if (!body.is_object()) return error(400, "expected a JSON object", "body");
  for (const auto& [key, _] : body.items())
    if (key != "engine" && key != "queries" && key != "qos_seconds" && key != "id")
      return error(400, fmt::format("unknown field \"{}\" (known: engine, queries, qos_seconds, id)", key), key);
  JobSpec spec;
  if (!body.contains("engine")) return error(400, "required", "engine");
  if (!body["engine"].is_string()) return error(400, "expected a string", "engine");
  spec.engine = body["engine"].get<std::string>();
  if (!testbed_.find_engine(spec.engine)) return error(400, fmt::format("unknown engine \"{}\"", spec.engine), "engine");
  bool profiled = std::any_of(testbed_.nodes.begin(), testbed_.nodes.end(),
                              [&](const NodeSpec& n) { return dictionary_.optimum(spec.engine, n.name) != nullptr; });
  if (!profiled) return error(400, fmt::format("engine {} is profiled on no node", spec.engine), "engine");
  if (!body.contains("queries")) return error(400, "required", "queries");
  const auto& q = body["queries"];
  if (!q.is_number_integer()) return error(400, "expected a whole number", "queries");
  bool in_range = q.is_number_unsigned() ? q.get<unsigned long long>() >= 1 &&
                                               q.get<unsigned long long>() <= static_cast<unsigned long long>(max_queries)
                                         : q.get<long long>() >= 1 && q.get<long long>() <= max_queries;
  if (!in_range)
    return error(400, fmt::format("must be between 1 and {}", max_queries), "queries");
  spec.queries = static_cast<int>(q.get<long long>());
  if (!body.contains("qos_seconds")) return error(400, "required", "qos_seconds");
  const auto& qos = body["qos_seconds"];
  if (!qos.is_number()) return error(400, "expected a number of seconds", "qos_seconds");
  double qos_s = qos.get<double>();
  if (!(qos_s > 0) || qos_s > max_qos_seconds || !std::isfinite(qos_s))
    return error(400, fmt::format("must be positive and at most {}", max_qos_seconds), "qos_seconds");
  spec.qos = Seconds{qos_s};
  bool generated = !body.contains("id");
  if (!generated) {
    if (!body["id"].is_string()) return error(400, "expected a string", "id");
    spec.id = body["id"].get<std::string>();
    if (!valid_id(spec.id))
      return error(400, "1 to 63 of [A-Za-z0-9._-], starting and ending with a letter or digit", "id");
  }

  JobRecord record;
  std::uint64_t line = 0;
  std::uint64_t seq_of_repeat = 0;
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
      if (old.engine != spec.engine || old.queries != spec.queries || old.qos != spec.qos)
        return error(409, fmt::format("job {} exists with another body", spec.id), "id");
      record = it->second.record;
      seq_of_repeat = it->second.seq;
      spec.id.clear();  // marks the repeat
    }
    if (!spec.id.empty()) {
      spec.submitted_at = scheduler_->now();
      record = fresh(spec);
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
        return error(503, fmt::format("the journal cannot be written: {}", e.what()), "");
      }
    }
  }
  if (spec.id.empty()) {
    // A repeat: its answer waits for the first submission's fsync, and is a
    // 201 only if that submission was accepted after all.
    journal_->sync();
    std::lock_guard lock{mutex_};
    auto it = jobs_.find(record.spec.id);
    if (it == jobs_.end() || it->second.seq != seq_of_repeat)
      return error(503, "the journal cannot be written; the job was not accepted", "");
    return json_response(201, job_json(it->second.record));
  }
  try {
    journal_->await(line);
  } catch (const std::exception& e) {
    log::error("service", "job not accepted", {{"job", spec.id}, {"error", e.what()}});
    {
      std::lock_guard lock{mutex_};
      erase(spec.id);
      --accepted_;
    }
    journal_->settle(line);
    return error(503, "the journal cannot be written; the job was not accepted", "");
  }
  scheduler_->submit(spec);
  auto response = json_response(201, job_json(record));
  response.headers.emplace_back("Location", "/v1/jobs/" + spec.id);
  return response;
}

Response Service::list(const std::map<std::string, std::string>& query) {
  std::optional<JobState> state;
  std::size_t limit = 100, offset = 0;
  std::optional<std::uint64_t> after;  // `continue`: the jobs submitted after this one
  for (const auto& [key, value] : query) {
    if (key == "state") {
      state = parse_job_state(value);
      if (!state) return error(400, fmt::format("unknown state \"{}\"", value), "state");
    } else if (key == "limit") {
      auto v = parse_count(value, 10000);
      if (!v || *v == 0) return error(400, "expected a whole number from 1 to 10000", "limit");
      limit = static_cast<std::size_t>(*v);
    } else if (key == "offset") {
      auto v = parse_count(value, std::numeric_limits<long long>::max());
      if (!v) return error(400, "expected a whole number", "offset");
      offset = static_cast<std::size_t>(*v);
    } else if (key == "continue") {
      auto v = parse_count(value, std::numeric_limits<long long>::max());
      if (!v) return error(400, "expected the \"continue\" of a previous page", "continue");
      after = static_cast<std::uint64_t>(*v);
    } else {
      return error(400, fmt::format("unknown parameter \"{}\" (known: state, limit, offset, continue)", key), key);
    }
  }
  if (after && offset > 0) return error(400, "give offset or continue, not both", "continue");
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
  if (!shown) return error(404, fmt::format("no job {}", id), "id");
  return json_response(200, job_json(*shown));
}

Response Service::cancel(const std::string& id) {
  std::lock_guard lock{mutex_};
  auto it = jobs_.find(id);
  if (it == jobs_.end() || !visible(it->second)) return error(404, fmt::format("no job {}", id), "id");
  const auto& r = it->second.record;
  if (r.state == JobState::cancelled) return json_response(200, job_json(r));
  if (is_terminal(r.state)) return error(409, fmt::format("job {} already {}", id, to_string(r.state)), "id");
  scheduler_->cancel(id);  // to the job's owner: the queue, or the worker holding it
  return json_response(202, job_json(r));
}

Response Service::workers() {
  std::lock_guard lock{mutex_};
  json out = json::array();
  for (const auto& node : testbed_.nodes) {
    const JobRecord* current = nullptr;
    if (auto held = node_job_.find(node.name); held != node_job_.end()) current = &jobs_.at(held->second).record;
    json w{{"node", node.name},
           {"kubernetes_node", node.kubernetes_node},
           {"state", !current ? "idle" : current->state == JobState::placed ? "reserved" : "busy"},
           {"job", current ? json(current->spec.id) : json(nullptr)}};
    auto mode = node_mode_.find(node.name);
    w["power_mode"] = mode != node_mode_.end() ? json(mode->second)
                      : node.default_mode      ? json(*node.default_mode)
                                               : json(nullptr);
    auto last = node_last_.find(node.name);
    w["last_transition"] = last == node_last_.end()
                               ? json(nullptr)
                               : json{{"at", seconds_of(last->second.at)},
                                      {"job", last->second.job},
                                      {"to", to_string(last->second.to)}};
    out.push_back(std::move(w));
  }
  return json_response(200, json{{"workers", out}});
}

Response Service::metrics() {
  std::string out;
  std::map<JobState, std::size_t> by_state;
  for (auto s : {JobState::queued, JobState::placed, JobState::starting, JobState::running, JobState::succeeded,
                 JobState::failed, JobState::cancelled})
    by_state[s] = 0;
  Histogram waiting, end_to_end;
  std::uint64_t violations, decisions, total, forgotten;
  std::map<int, std::uint64_t> responses;
  {
    std::lock_guard lock{mutex_};
    if (ready_) expire(now());  // before start() is done, the scheduler is being built
    for (const auto& [state, n] : by_state_) by_state[state] = n;
    waiting = waiting_;
    end_to_end = end_to_end_;
    violations = violations_;
    decisions = decisions_;
    responses = responses_;
    total = accepted_;
    forgotten = forgotten_;
  }
  out += "# HELP synergai_queue_length Jobs waiting in the queue.\n# TYPE synergai_queue_length gauge\n";
  out += fmt::format("synergai_queue_length {}\n", by_state[JobState::queued]);
  out += "# HELP synergai_jobs Jobs by state.\n# TYPE synergai_jobs gauge\n";
  for (const auto& [s, n] : by_state) out += fmt::format("synergai_jobs{{state=\"{}\"}} {}\n", to_string(s), n);
  out += "# HELP synergai_jobs_accepted_total Jobs accepted since start, the journal's jobs included.\n"
         "# TYPE synergai_jobs_accepted_total counter\n";
  out += fmt::format("synergai_jobs_accepted_total {}\n", total);
  out += "# HELP synergai_qos_violations_total Finished jobs that missed their QoS or did not succeed.\n"
         "# TYPE synergai_qos_violations_total counter\n";
  out += fmt::format("synergai_qos_violations_total {}\n", violations);
  out += "# HELP synergai_jobs_forgotten_total Finished jobs forgotten by the retention since start.\n"
         "# TYPE synergai_jobs_forgotten_total counter\n";
  out += fmt::format("synergai_jobs_forgotten_total {}\n", forgotten);
  histogram(out, "synergai_job_waiting_seconds", "Submission to start, of jobs that started.", waiting);
  histogram(out, "synergai_job_end_to_end_seconds", "Submission to completion, of finished jobs.", end_to_end);
  out += "# HELP synergai_decisions_total Placements made by the scheduler since start.\n"
         "# TYPE synergai_decisions_total counter\n";
  out += fmt::format("synergai_decisions_total {}\n", decisions);
  if (api_errors_) {
    out += "# HELP synergai_apiserver_request_errors_total Kubernetes API requests that failed (retries included).\n"
           "# TYPE synergai_apiserver_request_errors_total counter\n";
    out += fmt::format("synergai_apiserver_request_errors_total {}\n", api_errors_());
  }
  out += "# HELP synergai_http_responses_total HTTP responses by status code.\n"
         "# TYPE synergai_http_responses_total counter\n";
  for (const auto& [code, n] : responses) out += fmt::format("synergai_http_responses_total{{code=\"{}\"}} {}\n", code, n);
  if (journal_) {
    auto s = journal_->stats();
    out += "# HELP synergai_journal_bytes Size of the journal file.\n# TYPE synergai_journal_bytes gauge\n";
    out += fmt::format("synergai_journal_bytes {}\n", s.bytes);
    out += "# HELP synergai_journal_fsyncs_total Journal fsyncs.\n# TYPE synergai_journal_fsyncs_total counter\n";
    out += fmt::format("synergai_journal_fsyncs_total {}\n", s.fsyncs);
    out += "# HELP synergai_journal_compactions_total Journal rewrites.\n"
           "# TYPE synergai_journal_compactions_total counter\n";
    out += fmt::format("synergai_journal_compactions_total {}\n", s.compactions);
    out += "# HELP synergai_journal_write_failures_total Journal batches that could not be written (cut off again).\n"
           "# TYPE synergai_journal_write_failures_total counter\n";
    out += fmt::format("synergai_journal_write_failures_total {}\n", s.write_failures);
    out += "# HELP synergai_journal_failing 1 while the journal's last write failed (submissions answer 503).\n"
           "# TYPE synergai_journal_failing gauge\n";
    out += fmt::format("synergai_journal_failing {}\n", s.failing ? 1 : 0);
    out += "# HELP synergai_journal_pending_lines Journal lines waiting to be written.\n"
           "# TYPE synergai_journal_pending_lines gauge\n";
    out += fmt::format("synergai_journal_pending_lines {}\n", s.pending);
    out += "# HELP synergai_journal_replay_records Journal records at start that were not replayed as written.\n"
           "# TYPE synergai_journal_replay_records gauge\n";
    out += fmt::format("synergai_journal_replay_records{{outcome=\"refused\"}} {}\n", replay_invalid_);
    out += fmt::format("synergai_journal_replay_records{{outcome=\"dropped_damaged\"}} {}\n", replay_dropped_);
    out += fmt::format("synergai_journal_replay_records{{outcome=\"torn_tail\"}} {}\n",
                       s.repaired.bytes_cut > 0 ? 1 : 0);
    out += fmt::format("synergai_journal_replay_records{{outcome=\"newline_added\"}} {}\n", s.repaired.newline_added);
  }
  return Response{200, "text/plain; version=0.0.4", std::move(out), {}};
}

}  // namespace synergai::service
