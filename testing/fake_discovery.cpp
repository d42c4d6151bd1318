#include "testing/fake_discovery.hpp"

#include <fmt/format.h>

#include <set>

namespace synergai::kube::fake {

using json = nlohmann::json;

namespace {

json resource(const std::string& name, const std::string& singular, bool namespaced, const std::string& kind,
              std::initializer_list<const char*> verbs, std::initializer_list<const char*> short_names = {},
              bool in_all = false) {
  json r{{"name", name},
         {"singularName", singular},
         {"namespaced", namespaced},
         {"kind", kind},
         {"verbs", json::array()}};
  for (const char* v : verbs) r["verbs"].push_back(v);
  if (short_names.size() > 0) {
    r["shortNames"] = json::array();
    for (const char* s : short_names) r["shortNames"].push_back(s);
  }
  if (in_all) r["categories"] = json::array({"all"});
  return r;
}

json batch_group() {
  json version{{"groupVersion", "batch/v1"}, {"version", "v1"}};
  return {{"kind", "APIGroup"},
          {"apiVersion", "v1"},
          {"name", "batch"},
          {"versions", json::array({version})},
          {"preferredVersion", version}};
}

// OpenAPI v3: one operation, marked with the kind it acts on and its action.
json operation(const std::string& group, const std::string& kind, const std::string& action, bool writes) {
  json params = json::array();
  if (writes)
    for (const char* p : {"dryRun", "fieldManager", "fieldValidation"})
      params.push_back({{"name", p}, {"in", "query"}, {"schema", {{"type", "string"}}}});
  return {{"operationId", action + kind},
          {"parameters", params},
          {"responses", {{"200", {{"description", "OK"}}}}},
          {"x-kubernetes-action", action},
          {"x-kubernetes-group-version-kind", {{"group", group}, {"version", "v1"}, {"kind", kind}}}};
}

json openapi(const std::string& title, json paths) {
  return {{"openapi", "3.0.0"},
          {"info", {{"title", title}, {"version", "v1.30.0-synergai-fake"}}},
          {"paths", std::move(paths)},
          {"components", {{"schemas", json::object()}}}};
}

// The operations served, by path, as OpenAPI v3 documents per group version.
// kubectl reads the PATCH operations' parameters to learn that the server
// validates fields (fieldValidation) and then leaves validation to it.
json batch_v1_openapi() {
  json paths = json::object();
  paths["/apis/batch/v1/namespaces/{namespace}/jobs"] = {{"get", operation("batch", "Job", "list", false)},
                                                          {"post", operation("batch", "Job", "post", true)}};
  paths["/apis/batch/v1/namespaces/{namespace}/jobs/{name}"] = {{"get", operation("batch", "Job", "get", false)},
                                                                 {"delete", operation("batch", "Job", "delete", false)},
                                                                 {"patch", operation("batch", "Job", "patch", true)}};
  return openapi("Kubernetes batch/v1 (synergai fake API server)", paths);
}

json core_v1_openapi() {
  json paths = json::object();
  paths["/api/v1/nodes"] = {{"get", operation("", "Node", "list", false)}};
  paths["/api/v1/nodes/{name}"] = {{"get", operation("", "Node", "get", false)},
                                   {"patch", operation("", "Node", "patch", true)}};
  paths["/api/v1/namespaces/{namespace}/pods"] = {{"get", operation("", "Pod", "list", false)}};
  paths["/api/v1/namespaces/{namespace}/pods/{name}/log"] = {{"get", operation("", "Pod", "get", false)}};
  return openapi("Kubernetes v1 (synergai fake API server)", paths);
}

}  // namespace

std::optional<json> discovery_document(const std::string& path, const std::string& server_address) {
  if (path == "/api" || path == "/api/") {
    return json{{"kind", "APIVersions"},
                {"versions", json::array({"v1"})},
                {"serverAddressByClientCIDRs",
                 json::array({{{"clientCIDR", "0.0.0.0/0"}, {"serverAddress", server_address}}})}};
  }
  if (path == "/apis" || path == "/apis/") {
    json group = batch_group();
    group.erase("kind");
    group.erase("apiVersion");
    return json{{"kind", "APIGroupList"}, {"apiVersion", "v1"}, {"groups", json::array({group})}};
  }
  if (path == "/apis/batch" || path == "/apis/batch/") return batch_group();
  if (path == "/api/v1" || path == "/api/v1/") {
    return json{{"kind", "APIResourceList"},
                {"groupVersion", "v1"},
                {"resources", json::array({resource("nodes", "node", false, "Node", {"get", "list", "patch", "watch"}, {"no"}),
                                           resource("pods", "pod", true, "Pod", {"list"}, {"po"}, true),
                                           resource("pods/log", "", true, "Pod", {"get"})})}};
  }
  if (path == "/apis/batch/v1" || path == "/apis/batch/v1/") {
    return json{{"kind", "APIResourceList"},
                {"apiVersion", "v1"},
                {"groupVersion", "batch/v1"},
                {"resources", json::array({resource("jobs", "job", true, "Job",
                                                    {"create", "delete", "get", "list", "watch"}, {}, true)})}};
  }
  if (path == "/openapi/v3" || path == "/openapi/v3/") {
    return json{{"paths",
                 {{"api/v1", {{"serverRelativeURL", "/openapi/v3/api/v1"}}},
                  {"apis/batch/v1", {{"serverRelativeURL", "/openapi/v3/apis/batch/v1"}}}}}};
  }
  if (path == "/openapi/v3/api/v1") return core_v1_openapi();
  if (path == "/openapi/v3/apis/batch/v1") return batch_v1_openapi();
  return std::nullopt;
}

namespace {

using Fields = std::set<std::string>;

const Fields& object_meta_fields() {
  static const Fields f{"name", "generateName", "namespace", "selfLink", "uid", "resourceVersion", "generation",
                        "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "labels",
                        "annotations", "ownerReferences", "finalizers", "managedFields"};
  return f;
}

void drop_unknown(json& object, const Fields& known, const std::string& path, std::vector<std::string>& unknown) {
  if (!object.is_object()) return;  // a type error is the decoder's to report
  std::vector<std::string> extra;
  for (const auto& [key, value] : object.items())
    if (!known.count(key)) extra.push_back(key);
  for (const auto& key : extra) {
    unknown.push_back(path.empty() ? key : path + "." + key);
    object.erase(key);
  }
}

}  // namespace

std::vector<std::string> drop_unknown_job_fields(json& job) {
  static const Fields job_fields{"apiVersion", "kind", "metadata", "spec", "status"};
  static const Fields job_spec{"parallelism", "completions", "activeDeadlineSeconds", "podFailurePolicy",
                               "successPolicy", "backoffLimit", "backoffLimitPerIndex", "maxFailedIndexes",
                               "selector", "manualSelector", "template", "ttlSecondsAfterFinished",
                               "completionMode", "suspend", "podReplacementPolicy", "managedBy"};
  static const Fields template_fields{"metadata", "spec"};
  static const Fields pod_spec{
      "volumes", "initContainers", "containers", "ephemeralContainers", "restartPolicy",
      "terminationGracePeriodSeconds", "activeDeadlineSeconds", "dnsPolicy", "nodeSelector", "serviceAccountName",
      "serviceAccount", "automountServiceAccountToken", "nodeName", "hostNetwork", "hostPID", "hostIPC",
      "shareProcessNamespace", "securityContext", "imagePullSecrets", "hostname", "subdomain", "affinity",
      "schedulerName", "tolerations", "hostAliases", "priorityClassName", "priority", "dnsConfig", "readinessGates",
      "runtimeClassName", "enableServiceLinks", "preemptionPolicy", "overhead", "topologySpreadConstraints",
      "setHostnameAsFQDN", "os", "hostUsers", "schedulingGates", "resourceClaims"};
  static const Fields container{"name", "image", "command", "args", "workingDir", "ports", "envFrom", "env",
                                "resources", "resizePolicy", "restartPolicy", "volumeMounts", "volumeDevices",
                                "livenessProbe", "readinessProbe", "startupProbe", "lifecycle",
                                "terminationMessagePath", "terminationMessagePolicy", "imagePullPolicy",
                                "securityContext", "stdin", "stdinOnce", "tty"};
  std::vector<std::string> unknown;
  drop_unknown(job, job_fields, "", unknown);
  if (!job.is_object()) return unknown;
  if (job.contains("metadata")) drop_unknown(job["metadata"], object_meta_fields(), "metadata", unknown);
  if (!job.contains("spec") || !job["spec"].is_object()) return unknown;
  json& spec = job["spec"];
  drop_unknown(spec, job_spec, "spec", unknown);
  if (!spec.contains("template") || !spec["template"].is_object()) return unknown;
  json& tmpl = spec["template"];
  drop_unknown(tmpl, template_fields, "spec.template", unknown);
  if (tmpl.contains("metadata")) drop_unknown(tmpl["metadata"], object_meta_fields(), "spec.template.metadata", unknown);
  if (!tmpl.contains("spec") || !tmpl["spec"].is_object()) return unknown;
  json& pod = tmpl["spec"];
  drop_unknown(pod, pod_spec, "spec.template.spec", unknown);
  for (const char* list : {"initContainers", "containers"})
    if (pod.contains(list) && pod[list].is_array())
      for (std::size_t i = 0; i < pod[list].size(); ++i)
        drop_unknown(pod[list][i], container, fmt::format("spec.template.spec.{}[{}]", list, i), unknown);
  return unknown;
}

}  // namespace synergai::kube::fake
