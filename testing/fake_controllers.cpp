#include "testing/fake_controllers.hpp"

#include "kube/power_mode.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <functional>

namespace synergai::kube::fake {

using json = nlohmann::json;
using steady = std::chrono::steady_clock;

namespace {

// The node agent's annotations (kube/power_mode.hpp), as JSON keys.
const std::string requested_mode_annotation{power_mode_annotation};
const std::string applied_mode_annotation{power_mode_applied_annotation};
const std::string mode_error_annotation{power_mode_error_annotation};

}  // namespace

JobPlan annotation_rule(const json& job) {
  JobPlan p;
  auto annotation = [&](const char* key) -> std::string {
    json::json_pointer ptr{std::string{"/metadata/annotations/"} + key};
    return job.contains(ptr) && job.at(ptr).is_string() ? job.at(ptr).get<std::string>() : std::string{};
  };
  if (auto v = annotation("fake.synergai.io~1start-ms"); !v.empty()) p.start_after = std::chrono::milliseconds{std::stoll(v)};
  if (auto v = annotation("fake.synergai.io~1duration-ms"); !v.empty()) p.run_for = std::chrono::milliseconds{std::stoll(v)};
  p.log = annotation("fake.synergai.io~1log");
  auto outcome = annotation("fake.synergai.io~1outcome");
  if (outcome == "fail") p.succeeds = false;
  if (outcome == "pending") p.starts = false;
  return p;
}

void Controllers::job_created(const std::string& ns, const json& job, const JobPlan& plan) {
  const std::string name = job["metadata"]["name"];
  const std::string uid = job["metadata"]["uid"];
  if (store_.jobs.count({ns, name})) create_pod(ns, job, plan);
  if (plan.starts) timers_.push(Timer{steady::now() + plan.start_after, ++timer_seq_, uid, Timer::Action::start, plan, {}});
  changed_.notify_all();
}

void Controllers::node_patched(const std::string& name, const json& patch, const json& node) {
  const json& annotations = node["metadata"]["annotations"];
  if (agent.enabled && patch.contains("/metadata/annotations"_json_pointer) &&
      patch["metadata"]["annotations"].is_object() &&
      patch["metadata"]["annotations"].contains(requested_mode_annotation) &&
      annotations.contains(requested_mode_annotation) && annotations[requested_mode_annotation].is_string()) {
    Timer t{steady::now() + agent.delay, ++timer_seq_, name, Timer::Action::apply_mode, {}, {}};
    t.mode = annotations[requested_mode_annotation].get<std::string>();
    timers_.push(std::move(t));
    changed_.notify_all();
  }
}

// The pod the Job controller makes for a new Job (Pending).
void Controllers::create_pod(const std::string& ns, const json& job, const JobPlan& plan) {
  static const char* alphabet = "bcdfghjklmnpqrstvwxz2456789";
  const std::string job_name = job["metadata"]["name"];
  std::string name;
  do {
    name = job_name + "-";
    for (int i = 0; i < 5; ++i) name += alphabet[rng_() % 27];
  } while (store_.pods.count({ns, name}));
  const auto& tmpl = job["spec"]["template"];
  json labels = tmpl.contains("metadata") && tmpl["metadata"].contains("labels") ? tmpl["metadata"]["labels"]
                                                                                : json::object();
  json annotations = tmpl.contains("metadata") && tmpl["metadata"].contains("annotations")
                         ? tmpl["metadata"]["annotations"]
                         : json::object();
  json spec = tmpl["spec"];
  if (spec.contains("nodeSelector") && spec["nodeSelector"].contains("kubernetes.io/hostname"))
    spec["nodeName"] = spec["nodeSelector"]["kubernetes.io/hostname"];
  json waiting{{"reason", plan.waiting_reason}};
  if (!plan.waiting_message.empty()) waiting["message"] = plan.waiting_message;
  json statuses = json::array();
  for (const auto& c : spec["containers"])
    statuses.push_back({{"name", c.value("name", std::string{})},
                        {"image", c.value("image", std::string{})},
                        {"imageID", ""},  // known once the image is pulled
                        {"ready", false},
                        {"restartCount", 0},
                        {"started", false},
                        {"state", {{"waiting", waiting}}}});
  json pod{{"kind", "Pod"},
           {"apiVersion", "v1"},
           {"metadata",
            {{"name", name},
             {"namespace", ns},
             {"uid", store_.new_uid("a000")},
             {"labels", labels},
             {"annotations", annotations},
             {"creationTimestamp", now_rfc3339()},
             {"ownerReferences", json::array({{{"apiVersion", "batch/v1"},
                                               {"kind", "Job"},
                                               {"name", job_name},
                                               {"uid", job["metadata"]["uid"]},
                                               {"controller", true},
                                               {"blockOwnerDeletion", true}}})}}},
           {"spec", spec},
           {"status", {{"phase", "Pending"}, {"containerStatuses", statuses}}}};
  store_.bump(pod);
  store_.pods[{ns, name}] = Pod{std::move(pod), job, plan};
}

// Moves the Job's pod to Running, Succeeded or Failed.
void Controllers::move_pod(const std::string& uid, const std::string& phase, const std::string& now) {
  Pod* p = store_.pod_of(uid);
  if (!p) return;
  auto& status = p->object["status"];
  status["phase"] = phase;
  if (phase == "Running") status["startTime"] = now;
  for (auto& c : status["containerStatuses"]) {
    if (phase == "Running") {
      c["state"] = {{"running", {{"startedAt", now}}}};
      c["ready"] = true;
      c["started"] = true;
      c["imageID"] = fmt::format("{}@sha256:{:064x}", c.value("image", std::string{}),
                                 std::hash<std::string>{}(c.value("image", std::string{})));
      c["containerID"] = fmt::format("containerd://{}", p->object["metadata"]["uid"].get<std::string>());
    } else {
      std::string started = c["state"].contains("running") ? c["state"]["running"]["startedAt"].get<std::string>() : now;
      bool ok = phase == "Succeeded";
      c["state"] = {{"terminated",
                     {{"exitCode", ok ? 0 : 1},
                      {"reason", ok ? "Completed" : "Error"},
                      {"startedAt", started},
                      {"finishedAt", now}}}};
      c["ready"] = false;
      c["started"] = false;
    }
  }
  store_.bump(p->object);
}

void Controllers::run(std::unique_lock<std::mutex>& lock, const bool& stopping) {
  while (!stopping) {
    if (timers_.empty()) {
      changed_.wait(lock);
      continue;
    }
    auto at = timers_.top().at;
    if (steady::now() < at) {
      changed_.wait_until(lock, at);
      continue;
    }
    Timer t = timers_.top();
    timers_.pop();
    if (t.action == Timer::Action::apply_mode) {
      apply_mode(t.uid, t.mode);
      continue;
    }
    auto it = std::find_if(store_.jobs.begin(), store_.jobs.end(),
                           [&](const auto& kv) { return kv.second["metadata"]["uid"] == t.uid; });
    if (it == store_.jobs.end()) continue;  // deleted meanwhile
    json& job = it->second;
    const std::string ns = it->first.first;
    const std::string now = now_rfc3339();
    auto& status = job["status"];
    if (t.action == Timer::Action::start) {
      status["startTime"] = now;
      status["active"] = 1;
      status["ready"] = 0;
      status["uncountedTerminatedPods"] = json::object();
      store_.bump(job);
      store_.push_event("MODIFIED", ns, job);
      move_pod(t.uid, "Running", now);
      timers_.push(Timer{steady::now() + t.plan.run_for, ++timer_seq_, t.uid, Timer::Action::finish, t.plan, {}});
    } else if (t.action == Timer::Action::finish) {
      status.erase("active");
      status["ready"] = 0;
      if (t.plan.succeeds) {
        status["succeeded"] = 1;
        status["completionTime"] = now;
        status["conditions"] = json::array({{{"type", "Complete"},
                                             {"status", "True"},
                                             {"lastProbeTime", now},
                                             {"lastTransitionTime", now}}});
      } else {
        status["failed"] = 1;
        status["conditions"] = json::array({{{"type", "Failed"},
                                             {"status", "True"},
                                             {"reason", "BackoffLimitExceeded"},
                                             {"message", t.plan.failure_message},
                                             {"lastProbeTime", now},
                                             {"lastTransitionTime", now}}});
      }
      store_.bump(job);
      store_.push_event("MODIFIED", ns, job);
      move_pod(t.uid, t.plan.succeeds ? "Succeeded" : "Failed", now);
      if (job["spec"].contains("ttlSecondsAfterFinished"))
        timers_.push(Timer{steady::now() + std::chrono::seconds{job["spec"]["ttlSecondsAfterFinished"].get<long long>()},
                           ++timer_seq_, t.uid, Timer::Action::expire, t.plan, {}});
    } else {
      json obj = job;
      store_.jobs.erase(it);
      store_.delete_pods_of(t.uid);
      store_.bump(obj);
      store_.push_event("DELETED", ns, obj);
    }
  }
}

// The node agent's answer to a request for `mode` on `node`.
void Controllers::apply_mode(const std::string& node, const std::string& mode) {
  auto it = store_.nodes.find(node);
  if (it == store_.nodes.end()) return;
  auto& annotations = it->second["metadata"]["annotations"];
  if (annotations.value(requested_mode_annotation, std::string{}) != mode) return;  // superseded
  if (std::find(agent.refused.begin(), agent.refused.end(), mode) != agent.refused.end()) {
    annotations[mode_error_annotation] = fmt::format("{}: {}", mode, agent.refusal);
  } else {
    annotations[applied_mode_annotation] = mode;
    annotations.erase(mode_error_annotation);
  }
  store_.bump(it->second);
  store_.push_event("MODIFIED", "", it->second);
}

}  // namespace synergai::kube::fake
