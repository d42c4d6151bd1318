// The service's core: the job table and the figures kept with it, the
// journal's replay and wiring, the scheduler and its observer. The HTTP
// routes are in routes.cpp, request checks in validation.cpp, what is shown
// (JSON, /metrics) in exposition.cpp.
#include "service/service.hpp"

#include "service/validation.hpp"
#include "support/errors.hpp"
#include "support/log.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <limits>
#include <memory>

namespace synergai::service {
namespace {

JobRecord fresh(const JobSpec& spec) {
  JobRecord r;
  r.spec = spec;
  return r;
}

// A job in these states holds its node.
bool holds_node(JobState s) { return s == JobState::placed || s == JobState::starting || s == JobState::running; }

// The learned profiles and their file: written again (atomically, fsynced)
// after every run that changed them, from the recorder's thread, one write at
// a time. A failed write is logged and tried again after the next run.
struct LearningFile {
  std::shared_ptr<config::LearnedProfiles> store;
  std::filesystem::path path;
  std::uint64_t saved = 0;  // the store's version in the file

  void save_if_changed() {
    const auto version = store->version();
    if (version == saved) return;
    try {
      config::save_learned_profiles(store->entries(), path);
      saved = version;
    } catch (const std::exception& e) {
      log::error("service", "learned profiles not written", {{"path", path.string()}, {"error", e.what()}});
    }
  }
};

// Loads the learned profiles kept from earlier runs; none yet: an empty store.
std::shared_ptr<LearningFile> open_learning(const config::ServiceConfig& config, const config::Testbed& testbed) {
  if (!config.learning.enabled) return nullptr;
  auto file = std::make_shared<LearningFile>();
  file->path = config::learned_profiles_path(config);
  config::LearnedEntries entries;
  if (std::filesystem::exists(file->path)) entries = config::load_learned_profiles(file->path, &testbed);
  log::info("service", "learned profiles loaded",
            {{"path", file->path.string()}, {"points", entries.points.size()}, {"nodes", entries.nodes.size()}});
  file->store = std::make_shared<config::LearnedProfiles>(config.learning.settings, std::move(entries));
  file->saved = file->store->version();
  return file;
}

}  // namespace

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

void Service::start() {
  // A bad learned-profiles file stops the start before the journal is touched.
  auto learning = open_learning(config_, testbed_);
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
  options.runtime.learning = learning != nullptr;
  if (learning) options.runtime.learned_profiles = learning->store;
  options.runtime.policy = config_.policy;
  options.runtime.tick = config_.tick;
  options.runtime.reservation_ttl = config_.reservation_ttl;
  options.runtime.seed = config_.simulated.seed;
  options.runtime.noise_sigma = config_.simulated.noise_sigma;
  options.speedup = config_.simulated.speedup;
  // On the urgency actor's thread, once a round: a short lock, no waiting.
  options.runtime.round_times = [this](double seconds) {
    std::lock_guard lock{mutex_};
    rounds_.observe(seconds);
  };
  scheduler_ = std::make_unique<Scheduler>(testbed_, dictionary_, options, executor_,
                                           [this, learning](const JobRecord& r) {
                                             observe(r);
                                             // The worker observed the run before its job heard it ended.
                                             if (learning && r.state == JobState::succeeded) learning->save_if_changed();
                                           });
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
  if (after->started_at && !(before && before->started_at)) {
    if (auto w = after->waiting()) waiting_.observe(w->count());
    if (!after->node.empty()) ++node_started_[after->node];
  }
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

}  // namespace synergai::service
