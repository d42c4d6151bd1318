#include "testing/fake_routes.hpp"

#include "kube/api_error.hpp"
#include "support/log.hpp"
#include "testing/fake_discovery.hpp"
#include "testing/fake_job_validation.hpp"

#include <boost/beast/core.hpp>

#include <fmt/format.h>

#include <optional>

namespace synergai::kube::fake {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = boost::asio::ip::tcp;
using json = nlohmann::json;
using steady = std::chrono::steady_clock;

namespace {

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (;;) {
    auto pos = s.find(sep, start);
    out.push_back(s.substr(start, pos - start));
    if (pos == std::string::npos) break;
    start = pos + 1;
  }
  return out;
}

}  // namespace

std::uint64_t Routes::record(Endpoint e, const Request& req, int status, bool injected, const std::string& user) {
  std::lock_guard lock{st_.mutex};
  RequestRecord r{st_.log.size() + 1, e, std::string{req.method_string()}, std::string{req.target()}, status, injected, user};
  st_.log.push_back(r);
  return r.seq;
}

bool write_json(Stream& s, const Request& req, int status, const json& body, Headers headers) {
  bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(status), req.version()};
  res.set(bhttp::field::server, "synergai-fake-apiserver");
  res.set(bhttp::field::content_type, "application/json");
  for (const auto& [k, v] : headers) res.insert(k, v);
  res.keep_alive(req.keep_alive());
  res.body() = body.dump();
  res.prepare_payload();
  beast::error_code ec;
  bhttp::write(s, res, ec);
  return !ec && req.keep_alive();
}

bool write_status(Stream& s, const Request& req, int code, const std::string& reason, const std::string& message,
                  const json& details, Headers headers) {
  return write_json(s, req, code, make_status(code, reason, message, details), std::move(headers));
}

void cut(Stream& s) {
  beast::error_code ec;
  s.next_layer().shutdown(tcp::socket::shutdown_both, ec);
  s.next_layer().close(ec);
}

void reset(Stream& s) {
  beast::error_code ec;
  s.next_layer().set_option(asio::socket_base::linger(true, 0), ec);
  s.next_layer().close(ec);
}

// Waits `d` unless the server stops first.
bool Routes::pause(std::chrono::milliseconds d) {
  std::unique_lock lock{st_.mutex};
  return !st_.cv.wait_for(lock, d, [&] { return st_.stopping; });
}

std::string Routes::authenticate(Stream& s, const Request& req) {
  auto auth = req[bhttp::field::authorization];
  if (!st_.options.token.empty() && auth == "Bearer " + st_.options.token) return "token-user";
  if (st_.options.accept_client_certificates) {
    X509* peer = SSL_get1_peer_certificate(s.native_handle());
    if (peer) {
      std::string cn;
      if (SSL_get_verify_result(s.native_handle()) == X509_V_OK) {
        char buf[256] = {0};
        X509_NAME_get_text_by_NID(X509_get_subject_name(peer), NID_commonName, buf, sizeof buf);
        cn = buf;
      }
      X509_free(peer);
      if (!cn.empty()) return cn;
    }
  }
  return "";
}

// Returns whether the connection stays open.
bool Routes::handle(Stream& s, const Request& req) {
  std::string target{req.target()};
  std::string path = target.substr(0, target.find('?'));
  Query query;
  std::optional<QueryError> query_error;
  try {
    if (auto q = target.find('?'); q != std::string::npos) query = parse_query(std::string_view{target}.substr(q + 1));
  } catch (const QueryError& e) {
    query_error = e;
  }
  auto parts = split(path, '/');  // "", "apis", ...
  const std::string method{req.method_string()};
  Endpoint ep = Endpoint::other;
  std::string ns, name;
  bool bad_method = false;
  std::optional<json> discovery = discovery_document(path, fmt::format("{}:{}", st_.options.address, st_.port));
  if (path == "/version") {
    ep = Endpoint::version;
    bad_method = method != "GET";
  } else if (discovery) {
    ep = Endpoint::discovery;
    bad_method = method != "GET";
  } else if (parts.size() >= 6 && parts[1] == "apis" && parts[2] == "batch" && parts[3] == "v1" &&
             parts[4] == "namespaces" && parts.size() <= 8 && parts.size() >= 7 && parts[6] == "jobs") {
    ns = parts[5];
    if (parts.size() == 7) {
      const bool watch = query_bool(query, "watch");
      if (method == "POST") ep = Endpoint::create_job;
      else if (method == "GET") ep = watch ? Endpoint::watch_jobs : Endpoint::list_jobs;
      else bad_method = true, ep = Endpoint::list_jobs;
    } else {
      name = parts[7];
      if (method == "GET") ep = Endpoint::get_job;
      else if (method == "DELETE") ep = Endpoint::delete_job;
      else if (method == "PATCH") ep = Endpoint::patch_job;
      else bad_method = true, ep = Endpoint::get_job;
    }
  } else if (parts.size() >= 6 && parts.size() <= 8 && parts[1] == "api" && parts[2] == "v1" &&
             parts[3] == "namespaces" && parts[5] == "pods") {
    ns = parts[4];
    if (parts.size() == 6) {
      ep = Endpoint::list_pods;
      bad_method = method != "GET";
    } else if (parts.size() == 8 && parts[7] == "log") {
      name = parts[6];
      ep = Endpoint::pod_log;
      bad_method = method != "GET";
    }
  } else if (parts.size() >= 4 && parts[1] == "api" && parts[2] == "v1" && parts[3] == "nodes" && parts.size() <= 5) {
    if (parts.size() == 4) {
      ep = query_bool(query, "watch") ? Endpoint::watch_nodes : Endpoint::list_nodes;
      bad_method = method != "GET";
    } else {
      name = parts[4];
      if (method == "GET") ep = Endpoint::get_node;
      else if (method == "PATCH") ep = Endpoint::patch_node;
      else bad_method = true, ep = Endpoint::get_node;
    }
  }

  const std::string user = authenticate(s, req);
  if (user.empty()) {
    record(ep, req, 401, false, user);
    return write_status(s, req, 401, "Unauthorized", "Unauthorized");
  }

  Faults f;
  {
    std::lock_guard lock{st_.mutex};
    f = st_.faults.of(ep);
  }
  if (f.latency.count() > 0 && !pause(f.latency)) return false;
  std::optional<FaultReactors::Injected> injected;
  {
    std::lock_guard lock{st_.mutex};
    injected = st_.faults.before_request(f);
  }
  if (injected && injected->reset) {
    record(ep, req, 0, true, user);
    reset(s);
    return false;
  }
  if (injected) {
    const int code = injected->code;
    record(ep, req, code, true, user);
    Headers headers;
    if (injected->retry_after_s) headers.emplace_back("Retry-After", std::to_string(*injected->retry_after_s));
    return write_status(s, req, code, reason_for_code(code), fmt::format("injected fault: {}", code), nullptr, headers);
  }

  if (ep == Endpoint::other) {
    record(ep, req, 404, false, user);
    return write_status(s, req, 404, "NotFound", "the server could not find the requested resource");
  }
  if (bad_method) {
    record(ep, req, 405, false, user);
    return write_status(s, req, 405, "MethodNotAllowed",
                        fmt::format("the server does not allow this method on the requested resource"));
  }
  if (query_error) {
    record(ep, req, query_error->code, false, user);
    return write_status(s, req, query_error->code, query_error->reason, query_error->what());
  }

  switch (ep) {
    case Endpoint::version: {
      record(ep, req, 200, false, user);
      return write_json(s, req, 200,
                        {{"major", "1"},
                         {"minor", "30"},
                         {"gitVersion", "v1.30.0-synergai-fake"},
                         {"platform", "linux/amd64"},
                         {"goVersion", "none"},
                         {"compiler", "synergai"}});
    }
    case Endpoint::discovery: {
      record(ep, req, 200, false, user);
      return write_json(s, req, 200, *discovery);
    }
    case Endpoint::create_job: return create_job(s, req, ns, query, user);
    case Endpoint::get_job: {
      std::unique_lock lock{st_.mutex};
      auto it = st_.store.jobs.find({ns, name});
      if (it == st_.store.jobs.end()) {
        lock.unlock();
        return not_found(s, req, ep, {"jobs", "batch"}, name, user);
      }
      json obj = it->second;
      lock.unlock();
      record(ep, req, 200, false, user);
      return write_json(s, req, 200, obj);
    }
    case Endpoint::list_jobs:
      return list_objects(s, req, ep, user, query, job_field_labels(), "JobList", "batch/v1", [&, ns] {
        std::vector<const json*> out;
        for (const auto& [key, obj] : st_.store.jobs)
          if (key.first == ns) out.push_back(&obj);
        return out;
      });
    case Endpoint::list_nodes:
      return list_objects(s, req, ep, user, query, node_field_labels(), "NodeList", "v1", [&] {
        std::vector<const json*> out;
        for (const auto& [key, obj] : st_.store.nodes) out.push_back(&obj);
        return out;
      });
    case Endpoint::watch_jobs: return watch(s, req, ep, "Job", ns, query, f, user);
    case Endpoint::watch_nodes: return watch(s, req, ep, "Node", "", query, f, user);
    case Endpoint::delete_job: return delete_job(s, req, ns, name, query, user);
    case Endpoint::get_node: {
      std::unique_lock lock{st_.mutex};
      auto it = st_.store.nodes.find(name);
      if (it == st_.store.nodes.end()) {
        lock.unlock();
        return not_found(s, req, ep, {"nodes", ""}, name, user);
      }
      json obj = it->second;
      lock.unlock();
      record(ep, req, 200, false, user);
      return write_json(s, req, 200, obj);
    }
    case Endpoint::patch_node: return patch_node(s, req, name, user);
    case Endpoint::patch_job: return patch_job(s, req, ns, name, user);
    case Endpoint::list_pods:
      return list_objects(s, req, ep, user, query, pod_field_labels(), "PodList", "v1", [&, ns] {
        std::vector<const json*> out;
        for (const auto& [key, p] : st_.store.pods)
          if (key.first == ns) out.push_back(&p.object);
        return out;
      });
    case Endpoint::pod_log: return pod_log(s, req, ns, name, user);
    case Endpoint::other: break;
  }
  return false;
}

// DELETE of a Job, with its DeleteOptions: Background and Foreground take
// the Job's pod with it (Foreground first shows the Job with a
// deletionTimestamp and the foregroundDeletion finalizer), Orphan and no
// policy at all (batch/v1's default) leave the pod without its owner.
bool Routes::delete_job(Stream& s, const Request& req, const std::string& ns, const std::string& name, const Query& query,
                const std::string& user) {
  const Endpoint ep = Endpoint::delete_job;
  DeleteOptions o;
  try {
    o = parse_delete_options(query, req.body());
  } catch (const QueryError& e) {
    record(ep, req, e.code, false, user);
    return write_status(s, req, e.code, e.reason, e.what());
  }
  std::unique_lock lock{st_.mutex};
  auto it = st_.store.jobs.find({ns, name});
  if (it == st_.store.jobs.end()) {
    lock.unlock();
    return not_found(s, req, ep, {"jobs", "batch"}, name, user);
  }
  json obj = it->second;
  const std::string uid = obj["metadata"]["uid"];
  if (!o.dry_run) {
    st_.store.jobs.erase(it);
    obj["metadata"]["deletionTimestamp"] = now_rfc3339();
    if (o.propagation_policy == "Foreground") {
      obj["metadata"]["finalizers"] = json::array({"foregroundDeletion"});
      st_.store.bump(obj);
      st_.store.push_event("MODIFIED", ns, obj);
      obj["metadata"].erase("finalizers");
    }
    if (o.propagation_policy == "Foreground" || o.propagation_policy == "Background") {
      st_.store.delete_pods_of(uid);
    } else {
      st_.store.orphan_pods_of(uid);
    }
    st_.store.bump(obj);
    st_.store.push_event("DELETED", ns, obj);
  }
  lock.unlock();
  record(ep, req, 200, false, user);
  json status{{"kind", "Status"},
              {"apiVersion", "v1"},
              {"metadata", json::object()},
              {"status", "Success"},
              {"details", {{"name", name}, {"group", "batch"}, {"kind", "jobs"}, {"uid", uid}}}};
  return write_json(s, req, 200, status);
}

bool Routes::not_found(Stream& s, const Request& req, Endpoint ep, const Resource& resource, const std::string& name,
                       const std::string& user) {
  record(ep, req, 404, false, user);
  json details{{"name", name}, {"kind", resource.kind}};
  if (!resource.group.empty()) details["group"] = resource.group;
  const auto plural = resource.group.empty() ? resource.kind : resource.kind + "." + resource.group;
  return write_status(s, req, 404, "NotFound", fmt::format("{} \"{}\" not found", plural, name), details);
}

bool write_text(Stream& s, const Request& req, const std::string& text) {
  bhttp::response<bhttp::string_body> res{bhttp::status::ok, req.version()};
  res.set(bhttp::field::server, "synergai-fake-apiserver");
  res.set(bhttp::field::content_type, "text/plain");
  res.keep_alive(req.keep_alive());
  res.body() = text;
  res.prepare_payload();
  beast::error_code ec;
  bhttp::write(s, res, ec);
  return !ec && req.keep_alive();
}


bool Routes::create_job(Stream& s, const Request& req, const std::string& ns, const Query& query, const std::string& user) {
  const Endpoint ep = Endpoint::create_job;
  bool dry_run = false;
  try {
    dry_run = query_dry_run(query);
  } catch (const QueryError& e) {
    record(ep, req, e.code, false, user);
    return write_status(s, req, e.code, e.reason, e.what());
  }
  auto ct = std::string{req[bhttp::field::content_type]};
  if (!ct.empty() && ct.find("application/json") != 0) {
    record(ep, req, 415, false, user);
    return write_status(s, req, 415, "UnsupportedMediaType",
                        fmt::format("the body of the request was in an unknown format - accepted media types "
                                    "include: application/json, application/yaml"));
  }
  json job = json::parse(req.body(), nullptr, false);
  if (!job.is_object()) {
    record(ep, req, 400, false, user);
    return write_status(s, req, 400, "BadRequest", "the body of the request was not a JSON object");
  }
  if (job.value("kind", std::string{"Job"}) != "Job" || job.value("apiVersion", std::string{"batch/v1"}) != "batch/v1") {
    record(ep, req, 400, false, user);
    return write_status(s, req, 400, "BadRequest",
                        fmt::format("the API version in the data ({}) does not match the expected API version "
                                    "(batch/v1) or kind ({}) is not Job",
                                    job.value("apiVersion", std::string{}), job.value("kind", std::string{})));
  }
  if (auto e = decode_error(job)) {
    record(ep, req, 400, false, user);
    return write_status(s, req, 400, "BadRequest", *e);
  }
  // Unknown fields: dropped with a warning (Warn, the default), dropped
  // silently (Ignore) or refused (Strict, what kubectl asks for).
  Headers warnings;
  {
    const auto directive = query.count("fieldValidation") ? query.at("fieldValidation") : std::string{"Warn"};
    if (directive != "Warn" && directive != "Ignore" && directive != "Strict") {
      record(ep, req, 400, false, user);
      return write_status(s, req, 400, "BadRequest",
                          fmt::format("fieldValidation: Unsupported value: \"{}\": supported values: \"Ignore\", "
                                      "\"Warn\", \"Strict\"",
                                      directive));
    }
    const auto unknown = drop_unknown_job_fields(job);
    if (!unknown.empty() && directive == "Strict") {
      std::string message = "strict decoding error: ";
      for (std::size_t i = 0; i < unknown.size(); ++i)
        message += fmt::format("{}unknown field \"{}\"", i ? ", " : "", unknown[i]);
      record(ep, req, 400, false, user);
      return write_status(s, req, 400, "BadRequest", message);
    }
    if (directive == "Warn")
      for (const auto& f : unknown) warnings.emplace_back("Warning", fmt::format("299 - \"unknown field \\\"{}\\\"\"", f));
  }
  if (job.contains("/metadata/namespace"_json_pointer) && job["metadata"]["namespace"] != ns) {
    record(ep, req, 400, false, user);
    return write_status(s, req, 400, "BadRequest",
                        "the namespace of the provided object does not match the namespace sent on the request");
  }
  std::unique_lock lock{st_.mutex};
  if (!job.contains("metadata")) job["metadata"] = json::object();
  auto& meta = job["metadata"];
  if ((!meta.contains("name") || meta["name"] == "") && meta.contains("generateName") &&
      meta["generateName"].is_string()) {
    static const char* alphabet = "bcdfghjklmnpqrstvwxz2456789";
    std::string suffix;
    for (int i = 0; i < 5; ++i) suffix += alphabet[st_.rng() % 27];
    meta["name"] = meta["generateName"].get<std::string>() + suffix;
  }
  auto causes = validate_job(job);
  const std::string name = meta.value("name", std::string{});
  if (!causes.empty()) {
    lock.unlock();
    std::string msg = fmt::format("Job.batch \"{}\" is invalid: ", name);
    json jc = json::array();
    for (std::size_t i = 0; i < causes.size(); ++i) {
      msg += fmt::format("{}{}: {}", i ? ", " : "", causes[i].field, causes[i].message);
      jc.push_back({{"reason", causes[i].reason}, {"message", causes[i].message}, {"field", causes[i].field}});
    }
    record(ep, req, 422, false, user);
    return write_status(s, req, 422, "Invalid", msg,
                        {{"name", name}, {"group", "batch"}, {"kind", "Job"}, {"causes", jc}});
  }
  if (st_.store.jobs.count({ns, name})) {
    lock.unlock();
    record(ep, req, 409, false, user);
    return write_status(s, req, 409, "AlreadyExists", fmt::format("jobs.batch \"{}\" already exists", name),
                        {{"name", name}, {"group", "batch"}, {"kind", "jobs"}});
  }
  const std::string uid = st_.store.new_uid("8000");
  job["kind"] = "Job";
  job["apiVersion"] = "batch/v1";
  meta["namespace"] = ns;
  meta["uid"] = uid;
  meta["generation"] = 1;
  meta["creationTimestamp"] = now_rfc3339();
  auto& spec = job["spec"];
  if (!spec.contains("parallelism")) spec["parallelism"] = 1;
  if (!spec.contains("completions")) spec["completions"] = 1;
  if (!spec.contains("backoffLimit")) spec["backoffLimit"] = 6;
  if (!spec.contains("completionMode")) spec["completionMode"] = "NonIndexed";
  if (!spec.contains("suspend")) spec["suspend"] = false;
  spec["selector"] = {{"matchLabels", {{"batch.kubernetes.io/controller-uid", uid}}}};
  auto& tlabels = spec["template"]["metadata"]["labels"];
  tlabels["batch.kubernetes.io/controller-uid"] = uid;
  tlabels["batch.kubernetes.io/job-name"] = name;
  tlabels["controller-uid"] = uid;
  tlabels["job-name"] = name;
  job["status"] = json::object();
  if (dry_run) {  // validated and defaulted, not stored: no event, no pod
    lock.unlock();
    record(ep, req, 201, false, user);
    return write_json(s, req, 201, job, warnings);
  }
  st_.store.bump(job);
  st_.store.jobs[{ns, name}] = job;
  st_.store.push_event("ADDED", ns, job);
  JobPlan plan;
  auto rule_copy = st_.controllers.rule;
  lock.unlock();
  try {
    plan = rule_copy(job);
  } catch (const std::exception& e) {
    log::warn("fake-apiserver", "job rule failed", {{"kube_job", name}, {"error", e.what()}});
  }
  lock.lock();
  st_.controllers.job_created(ns, job, plan);
  lock.unlock();
  record(ep, req, 201, false, user);
  return write_json(s, req, 201, job, warnings);
}


// A merge patch of metadata.labels and metadata.annotations, the only fields
// this server patches, decoded and checked as the server would.
std::variant<json, Routes::Refusal> Routes::read_metadata_patch(const Request& req, const std::string& kind,
                                                       const std::string& name) {
  auto ct = std::string{req[bhttp::field::content_type]};
  if (ct.find("application/merge-patch+json") != 0 && ct.find("application/strategic-merge-patch+json") != 0)
    return Refusal{415, "UnsupportedMediaType",
                   "the body of the request was in an unknown format - accepted media types include: "
                   "application/merge-patch+json, application/strategic-merge-patch+json"};
  json patch = json::parse(req.body(), nullptr, false);
  if (!patch.is_object()) return Refusal{400, "BadRequest", "the patch is not a JSON object"};
  for (const auto& [k, v] : patch.items()) {
    bool ok = k == "metadata" && v.is_object();
    if (ok)
      for (const auto& [mk, mv] : v.items())
        ok = ok && (mk == "labels" || mk == "annotations") && (mv.is_object() || mv.is_null());
    if (!ok)
      return Refusal{422, "Invalid",
                     fmt::format("{} \"{}\" is invalid: this API server patches only metadata.labels and "
                                 "metadata.annotations",
                                 kind, name),
                     {{"name", name},
                      {"kind", kind},
                      {"causes", json::array({{{"reason", "FieldValueForbidden"},
                                               {"message", "Forbidden: not patchable here"},
                                               {"field", k}}})}}};
    for (const auto& [mk, mv] : v.items())
      if (mv.is_object())
        for (const auto& [lk, lv] : mv.items())
          if (!lv.is_string() && !lv.is_null())
            return Refusal{400, "BadRequest",
                           fmt::format("json: cannot unmarshal {} into Go value of type string ({}.{})",
                                       lv.type_name(), mk, lk)};
  }
  return patch;
}

bool Routes::refuse(Stream& s, const Request& req, Endpoint ep, const std::string& user, const Refusal& r) {
  record(ep, req, r.code, false, user);
  return write_status(s, req, r.code, r.reason, r.message, r.details);
}

// PATCH of a Job's labels or annotations (kubectl label, kubectl annotate).
bool Routes::patch_job(Stream& s, const Request& req, const std::string& ns, const std::string& name, const std::string& user) {
  const Endpoint ep = Endpoint::patch_job;
  auto read = read_metadata_patch(req, "Job", name);
  if (auto* r = std::get_if<Refusal>(&read)) return refuse(s, req, ep, user, *r);
  std::unique_lock lock{st_.mutex};
  auto it = st_.store.jobs.find({ns, name});
  if (it == st_.store.jobs.end()) {
    lock.unlock();
    return not_found(s, req, ep, {"jobs", "batch"}, name, user);
  }
  it->second.merge_patch(std::get<json>(read));
  st_.store.bump(it->second);
  st_.store.push_event("MODIFIED", ns, it->second);
  json obj = it->second;
  lock.unlock();
  record(ep, req, 200, false, user);
  return write_json(s, req, 200, obj);
}

bool Routes::patch_node(Stream& s, const Request& req, const std::string& name, const std::string& user) {
  const Endpoint ep = Endpoint::patch_node;
  auto read = read_metadata_patch(req, "Node", name);
  if (auto* r = std::get_if<Refusal>(&read)) return refuse(s, req, ep, user, *r);
  const json& patch = std::get<json>(read);
  std::unique_lock lock{st_.mutex};
  auto it = st_.store.nodes.find(name);
  if (it == st_.store.nodes.end()) {
    lock.unlock();
    return not_found(s, req, ep, {"nodes", ""}, name, user);
  }
  it->second.merge_patch(patch);
  st_.store.bump(it->second);
  st_.store.push_event("MODIFIED", "", it->second);
  json obj = it->second;
  obj["metadata"]["annotations"];  // the answer always names them, null once a patch removed them all
  st_.controllers.node_patched(name, patch, obj);
  lock.unlock();
  record(ep, req, 200, false, user);
  return write_json(s, req, 200, obj);
}


// The rule's text once the container has started; 400 while it waits, as
// the kubelet answers.
bool Routes::pod_log(Stream& s, const Request& req, const std::string& ns, const std::string& name, const std::string& user) {
  const Endpoint ep = Endpoint::pod_log;
  std::unique_lock lock{st_.mutex};
  auto it = st_.store.pods.find({ns, name});
  if (it == st_.store.pods.end()) {
    lock.unlock();
    return not_found(s, req, ep, {"pods", ""}, name, user);
  }
  Pod pod = it->second;
  lock.unlock();
  const auto& c = pod.object["status"]["containerStatuses"][0];
  if (c["state"].contains("waiting")) {
    record(ep, req, 400, false, user);
    return write_status(s, req, 400, "BadRequest",
                        fmt::format("container \"{}\" in pod \"{}\" is waiting to start: {}",
                                    c["name"].get<std::string>(), name,
                                    c["state"]["waiting"]["reason"].get<std::string>()));
  }
  std::string text = pod.plan.log;
  if (pod.plan.log_of) {
    try {
      text = pod.plan.log_of(pod.job, pod.object);
    } catch (const std::exception& e) {
      log::warn("fake-apiserver", "log rule failed", {{"pod", name}, {"error", e.what()}});
      throw;
    }
  }
  record(ep, req, 200, false, user);
  return write_text(s, req, text);
}

bool Routes::internal_error(Stream& s, const Request& req, const std::string& what) {
  return write_status(s, req, 500, "InternalError", what);
}

}  // namespace synergai::kube::fake
