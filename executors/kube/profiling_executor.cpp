#include "executors/kube/profiling_executor.hpp"

#include "kube/job_status.hpp"
#include "kube/manifest.hpp"
#include "profiling/loadgen_log.hpp"
#include "support/errors.hpp"
#include "support/files.hpp"
#include "support/log.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <regex>

namespace synergai::kube {
namespace {

using profiling::RunOutcome;

RunOutcome failure(std::string why) {
  RunOutcome o;
  o.failure = std::move(why);
  return o;
}

bool is_label_value(const std::string& s) {
  static const std::regex re{R"([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)"};
  return !s.empty() && s.size() <= 63 && std::regex_match(s, re);
}

// resourceVersions are opaque strings to clients; every API server we know
// writes increasing integers, which is what ordering a stale list needs.
std::optional<unsigned long long> resource_version(const nlohmann::json& obj) {
  if (!obj.is_object()) return std::nullopt;
  auto v = obj.value("/metadata/resourceVersion"_json_pointer, std::string{});
  try {
    std::size_t used = 0;
    auto n = std::stoull(v, &used);
    if (used == v.size()) return n;
  } catch (const std::exception&) {
  }
  return std::nullopt;
}

// Container waiting reasons that no amount of waiting cures.
const std::vector<std::string> cannot_start_reasons{"ErrImagePull", "ImagePullBackOff", "InvalidImageName",
                                                    "CreateContainerConfigError", "CreateContainerError"};

bool finished(const nlohmann::json& job) {
  auto p = job_progress(job).phase;
  return p == JobProgress::Phase::succeeded || p == JobProgress::Phase::failed;
}

// The container's start, and its end once terminated, from the pod's status.
struct ContainerTimes {
  std::optional<double> started_s, finished_s;
};

ContainerTimes container_times(const nlohmann::json& pod, const std::string& container) {
  ContainerTimes t;
  const auto ptr = nlohmann::json::json_pointer{"/status/containerStatuses"};
  if (!pod.contains(ptr) || !pod.at(ptr).is_array()) return t;
  for (const auto& c : pod.at(ptr)) {
    if (c.value("name", std::string{}) != container || !c.contains("state") || !c["state"].is_object()) continue;
    for (const char* s : {"running", "terminated"}) {
      if (!c["state"].contains(s)) continue;
      const auto& st = c["state"][s];
      if (auto v = parse_rfc3339(st.value("startedAt", std::string{}))) t.started_s = seconds_of(*v);
      if (auto v = parse_rfc3339(st.value("finishedAt", std::string{}))) t.finished_s = seconds_of(*v);
    }
  }
  return t;
}

}  // namespace

PodLogParts split_pod_log(std::string_view log) {
  PodLogParts out;
  std::vector<std::string_view> lines;
  for (std::size_t pos = 0; pos < log.size();) {
    auto end = log.find('\n', pos);
    if (end == std::string_view::npos) end = log.size();
    lines.push_back(log.substr(pos, end - pos));
    pos = end + 1;
  }
  auto trimmed = [](std::string_view l) {
    while (!l.empty() && (l.back() == '\r' || l.back() == ' ')) l.remove_suffix(1);
    while (!l.empty() && l.front() == ' ') l.remove_prefix(1);
    return l;
  };
  // The summary ends with its errors line ("No errors encountered during
  // test." or "N ERROR encountered ..."); what the harness prints later is not part of it.
  auto is_errors_line = [&](std::string_view l) {
    std::string s{trimmed(l)};
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (s == "no errors encountered during test.") return true;
    auto e = s.find(" error"), n = s.find(" encountered");
    return !s.empty() && std::isdigit(static_cast<unsigned char>(s[0])) && e != std::string::npos &&
           n != std::string::npos && e < n;
  };
  std::size_t start = lines.size(), end = lines.size();
  for (std::size_t i = 0; i < lines.size(); ++i)
    if (trimmed(lines[i]) == "MLPerf Results Summary") {
      start = i > 0 && trimmed(lines[i - 1]).starts_with("====") ? i - 1 : i;
      break;
    }
  for (std::size_t i = start; i < lines.size(); ++i)
    if (!lines[i].starts_with(":::MLLOG") && is_errors_line(lines[i])) {
      end = i + 1;
      break;
    }
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (lines[i].starts_with(":::MLLOG")) out.detail.append(lines[i]).append("\n");
    else if (i >= start && i < end) out.summary.append(lines[i]).append("\n");
  }
  return out;
}

ProfilingExecutor::ProfilingExecutor(std::shared_ptr<Client> client, const config::Testbed& testbed,
                                     ProfilingExecutorOptions options)
    : client_{std::move(client)},
      testbed_{testbed},
      options_{std::move(options)},
      ns_{options_.namespace_name.empty() ? client_->namespace_name() : options_.namespace_name},
      watcher_{*client_,
               fmt::format("{}={}", campaign_label, options_.campaign),
               ns_,
               JobWatcher::Handlers{[this](const std::vector<nlohmann::json>& jobs, const std::string&) {
                                      for (const auto& j : jobs) offer(j, false);
                                    },
                                    [this](const WatchEvent& e) { offer(e.object, e.type == "DELETED"); }},
               options_.watch_backoff} {
  if (!is_label_value(options_.campaign))
    throw InputError(fmt::format("campaign name \"{}\": expected a label value (at most 63 of A-Z a-z 0-9 - _ ., "
                                 "alphanumeric at both ends)",
                                 options_.campaign));
  if (options_.queries < 1) throw InputError(fmt::format("queries must be at least 1, got {}", options_.queries));
  watch_thread_ = std::thread{[this] { watcher_.run(); }};
}

ProfilingExecutor::~ProfilingExecutor() {
  watcher_.stop();
  if (watch_thread_.joinable()) watch_thread_.join();
}

std::string ProfilingExecutor::job_id(const profiling::PlannedRun& run, int attempt) const {
  return fmt::format("{}/{}/a{}", options_.campaign, run.id, attempt);
}

ProfilingExecutorStats ProfilingExecutor::stats() const {
  std::lock_guard lock{mutex_};
  return stats_;
}

void ProfilingExecutor::offer(const nlohmann::json& job, bool deleted) {
  if (!job.is_object()) return;
  auto name = job.value("/metadata/name"_json_pointer, std::string{});
  std::lock_guard lock{mutex_};
  auto it = waiting_.find(name);
  if (it == waiting_.end()) return;
  auto& w = it->second;
  auto have = resource_version(w.job), got = resource_version(job);
  if (have && got && *got <= *have) return;  // older than what we know (a stale list)
  if (deleted) w.gone = true;
  else if (!finished(w.job) || finished(job)) w.job = job;
  cv_.notify_all();
}

ProfilingExecutor::Following::Following(ProfilingExecutor& e, std::string name) : e_{e}, name_{std::move(name)} {
  std::lock_guard lock{e_.mutex_};
  e_.waiting_[name_] = Waited{};
}

ProfilingExecutor::Following::~Following() {
  std::lock_guard lock{e_.mutex_};
  e_.waiting_.erase(name_);
}

std::string ProfilingExecutor::cannot_start(const std::string& name) {
  for (const auto& pod : client_->list_pods(fmt::format("job-name={}", name), ns_).items) {
    const auto ptr = nlohmann::json::json_pointer{"/status/containerStatuses"};
    if (!pod.contains(ptr) || !pod.at(ptr).is_array()) continue;
    for (const auto& c : pod.at(ptr)) {
      const auto w = nlohmann::json::json_pointer{"/state/waiting"};
      if (!c.is_object() || !c.contains(w) || !c.at(w).is_object()) continue;
      const auto reason = c.at(w).value("reason", std::string{});
      if (std::find(cannot_start_reasons.begin(), cannot_start_reasons.end(), reason) == cannot_start_reasons.end())
        continue;
      auto message = c.at(w).value("message", std::string{});
      return fmt::format("pod {} cannot start: {}{}{}", pod.value("/metadata/name"_json_pointer, std::string{}), reason,
                         message.empty() ? "" : ": ", message);
    }
  }
  return "";
}

ProfilingExecutor::Waited ProfilingExecutor::wait_for(const std::string& name) {
  using clock = std::chrono::steady_clock;
  const auto deadline = clock::now() + options_.job_timeout;
  std::unique_lock lock{mutex_};
  auto next_read = clock::now() + options_.poll_interval;
  for (;;) {
    const auto& w = waiting_[name];
    if (finished(w.job) || w.gone || !w.failure.empty()) return w;
    auto now = clock::now();
    if (now >= deadline) {
      Waited out = w;
      out.failure = fmt::format("the Job {} did not finish within {:g} s", name,
                                std::chrono::duration<double>(options_.job_timeout).count());
      return out;
    }
    if (now >= next_read) {
      ++stats_.polls;
      lock.unlock();
      std::optional<nlohmann::json> read;
      bool missing = false;
      std::string stuck;
      try {
        read = client_->get_job(name, ns_);
        if (!finished(*read)) stuck = cannot_start(name);
      } catch (const ApiError& e) {
        if (e.is_not_found()) missing = true;
        else log::debug("kube", "profiling: reading a Job failed", {{"kube_job", name}, {"error", e.what()}});
      }
      if (read) offer(*read, false);
      lock.lock();
      if (missing) waiting_[name].gone = true;
      if (!stuck.empty()) waiting_[name].failure = stuck;
      next_read = clock::now() + options_.poll_interval;
      continue;
    }
    cv_.wait_until(lock, std::min(deadline, next_read));
  }
}

profiling::RunOutcome ProfilingExecutor::run(const profiling::PlannedRun& run, int attempt,
                                             const std::filesystem::path& dir) {
  try {
    return this->attempt(run, attempt, dir);
  } catch (const ApiError& e) {
    return failure(fmt::format("API error: {}", e.what()));
  }
}

profiling::RunOutcome ProfilingExecutor::attempt(const profiling::PlannedRun& run, int attempt,
                                                 const std::filesystem::path& dir) {
  const auto profile = testbed_.find_profile(run.node);  // a replicated entry runs on its first replica
  const NodeSpec* node = profile ? &*profile : nullptr;
  const auto* engine = testbed_.find_engine(run.engine);
  if (!node || !engine)
    throw InputError(fmt::format("run {}: engine {} or node {} is not in testbed {}", run.id, run.engine, run.node,
                                 testbed_.name));
  if (run.config.mode) {
    auto pm = request_power_mode(*client_, node->kubernetes_node, *run.config.mode, options_.power_mode);
    if (pm.requested) {
      std::lock_guard lock{mutex_};
      ++stats_.mode_requests;
    }
    if (!pm.applied) return failure(fmt::format("power mode: {}", pm.error));
  }

  // The Job: deterministic name, our labels plus the campaign's.
  const auto id = job_id(run, attempt);
  ManifestOptions mo;
  mo.namespace_name = ns_;
  mo.ttl_seconds_after_finished = options_.ttl_seconds_after_finished;
  mo.container_name = options_.container_name;
  JobSpec spec{id, engine->id, options_.queries, Seconds{0}, {}};
  auto manifest = job_manifest(spec, *engine, *node, run.config, mo);
  for (auto* labels : {&manifest["metadata"]["labels"], &manifest["spec"]["template"]["metadata"]["labels"]})
    (*labels)[std::string{campaign_label}] = options_.campaign;
  manifest["metadata"]["annotations"]["synergai.io/profiling-run"] = run.id;
  manifest["metadata"]["annotations"]["synergai.io/profiling-attempt"] = std::to_string(attempt);
  const std::string name = manifest["metadata"]["name"];
  // Followed from before its creation, so that no watch event is missed.
  Following following{*this, name};
  auto created = client_->create_or_adopt_job(manifest, id);
  offer(created.job, false);
  {
    std::lock_guard lock{mutex_};
    ++(created.adopted ? stats_.adopted : stats_.created);
  }
  if (created.adopted)
    log::info("kube", "profiling: adopting the existing Job", {{"run", run.id}, {"attempt", attempt}, {"kube_job", name}});

  auto waited = wait_for(name);
  if (waited.gone) return failure(fmt::format("job failed: the Job {} was deleted before it finished", name));
  if (!waited.failure.empty()) {
    // It will not finish (in time): it goes now, not at its TTL.
    try {
      client_->delete_job(name, ns_);
    } catch (const ApiError& e) {
      log::warn("kube", "profiling: deleting the unfinished Job failed", {{"kube_job", name}, {"error", e.what()}});
    }
    return failure("job failed: " + waited.failure);
  }
  const auto job = waited.job;
  write_file_atomically(dir / "job.json", job.dump(2) + "\n");
  const auto progress = job_progress(job);

  // Its pod: by the job-name label; the Job's own (controller-uid) if several.
  auto pods = client_->list_pods(fmt::format("job-name={}", name), ns_).items;
  const auto uid = job.value("/metadata/uid"_json_pointer, std::string{});
  std::optional<nlohmann::json> pod;
  for (const auto& p : pods)
    if (!pod || p.value("/metadata/labels/controller-uid"_json_pointer, std::string{}) == uid) pod = p;
  if (!pod) {
    if (progress.phase == JobProgress::Phase::failed) return failure(fmt::format("job failed: {}", progress.message));
    return failure(fmt::format("log unparsable: the Job {} has no pod (job-name={})", name, name));
  }
  write_file_atomically(dir / "pod.json", pod->dump(2) + "\n");
  const std::string pod_name = (*pod)["metadata"]["name"];
  std::string log_text;
  try {
    log_text = client_->pod_log(pod_name, options_.container_name, ns_);
  } catch (const ApiError& e) {
    if (progress.phase == JobProgress::Phase::failed) return failure(fmt::format("job failed: {}", progress.message));
    return failure(fmt::format("log unparsable: reading the log of pod {}: {}", pod_name, e.what()));
  }
  write_file_atomically(dir / "pod.log", log_text);
  if (progress.phase == JobProgress::Phase::failed) return failure(fmt::format("job failed: {}", progress.message));

  // The LoadGen logs in the pod's output.
  auto parts = split_pod_log(log_text);
  write_file_atomically(dir / "mlperf_log_summary.txt", parts.summary);
  if (!parts.detail.empty()) write_file_atomically(dir / "mlperf_log_detail.txt", parts.detail);
  profiling::LoadGenSummary summary;
  std::optional<profiling::LoadGenDetail> detail;
  try {
    summary = profiling::parse_summary(parts.summary, (dir / "mlperf_log_summary.txt").string());
    if (!parts.detail.empty()) detail = profiling::parse_detail(parts.detail, (dir / "mlperf_log_detail.txt").string());
  } catch (const InputError& e) {
    return failure(fmt::format("log unparsable: {}", e.what()));
  }
  if (auto why = profiling::unusable_result(summary)) {
    auto o = failure(*why);
    if (detail) o.loadgen_version = detail->loadgen_version;
    return o;
  }
  auto qps = summary.qps();
  if (!qps || !(*qps > 0)) return failure("log unparsable: the summary states no QPS");

  RunOutcome out;
  out.ok = true;
  out.qps = *qps;
  out.queries = options_.queries;
  out.inference_s = options_.queries / out.qps;
  out.loadgen_version = detail ? detail->loadgen_version : std::string{};
  // Pre-processing: the container's start to LoadGen's first entry; without
  // detail entries, the container's run time less the inference time.
  auto times = container_times(*pod, options_.container_name);
  if (!times.started_s) return failure(fmt::format("log unparsable: pod {} states no container start time", pod_name));
  if (detail && detail->first_time_ms) {
    out.preprocessing_s = std::max(0.0, *detail->first_time_ms / 1000.0 - *times.started_s);
  } else if (times.finished_s) {
    out.preprocessing_s = std::max(0.0, *times.finished_s - *times.started_s - out.inference_s);
  } else {
    return failure("log unparsable: no :::MLLOG timestamps and no container finish time");
  }
  return out;
}

void ProfilingExecutor::recorded(const profiling::PlannedRun& run, int attempt) {
  if (options_.keep_jobs) return;
  auto name = job_name(job_id(run, attempt));
  try {
    client_->delete_job(name, ns_);
    std::lock_guard lock{mutex_};
    ++stats_.deleted;
  } catch (const ApiError& e) {
    // Gone already (TTL, someone else), or the API failed: the TTL collects it.
    if (!e.is_not_found())
      log::warn("kube", "profiling: deleting the finished Job failed", {{"kube_job", name}, {"error", e.what()}});
  }
}

}  // namespace synergai::kube
