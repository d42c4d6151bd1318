#include "kube/fake_apiserver.hpp"

#include "kube/api_error.hpp"
#include "kube/fake_discovery.hpp"
#include "kube/fake_query.hpp"
#include "kube/kubeconfig.hpp"
#include "kube/power_mode.hpp"
#include "support/errors.hpp"
#include "support/log.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <fmt/format.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <algorithm>
#include <condition_variable>
#include <ctime>
#include <deque>
#include <mutex>
#include <queue>
#include <random>
#include <set>
#include <thread>
#include <variant>

namespace synergai::kube::fake {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = boost::asio::ip::tcp;
using json = nlohmann::json;
using steady = std::chrono::steady_clock;

std::string to_string(Endpoint e) {
  switch (e) {
    case Endpoint::version: return "version";
    case Endpoint::discovery: return "discovery";
    case Endpoint::create_job: return "create_job";
    case Endpoint::get_job: return "get_job";
    case Endpoint::list_jobs: return "list_jobs";
    case Endpoint::watch_jobs: return "watch_jobs";
    case Endpoint::watch_nodes: return "watch_nodes";
    case Endpoint::delete_job: return "delete_job";
    case Endpoint::patch_job: return "patch_job";
    case Endpoint::list_nodes: return "list_nodes";
    case Endpoint::get_node: return "get_node";
    case Endpoint::patch_node: return "patch_node";
    case Endpoint::list_pods: return "list_pods";
    case Endpoint::pod_log: return "pod_log";
    case Endpoint::other: return "other";
  }
  return "other";
}

namespace {

std::string now_rfc3339() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

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

// --- Job validation, as the API server does it --------------------------------

struct Cause {
  std::string reason, message, field;
};

// Type errors the API server reports as 400 BadRequest (decoding fails).
std::optional<std::string> decode_error(const json& job) {
  auto type_at = [&](const char* pointer, auto pred, const char* go_type) -> std::optional<std::string> {
    json::json_pointer p{pointer};
    if (!job.contains(p)) return std::nullopt;
    if (pred(job.at(p))) return std::nullopt;
    return fmt::format("Job in version \"v1\" cannot be handled as a Job: json: cannot unmarshal {} into Go struct "
                       "field {} of type {}",
                       job.at(p).type_name(), pointer, go_type);
  };
  auto is_int = [](const json& v) { return v.is_number_integer(); };
  auto is_obj = [](const json& v) { return v.is_object(); };
  auto is_str = [](const json& v) { return v.is_string(); };
  auto is_arr = [](const json& v) { return v.is_array(); };
  for (auto [ptr, pred, t] : std::initializer_list<std::tuple<const char*, bool (*)(const json&), const char*>>{
           {"/metadata", +is_obj, "ObjectMeta"},
           {"/metadata/name", +is_str, "string"},
           {"/metadata/labels", +is_obj, "map[string]string"},
           {"/metadata/annotations", +is_obj, "map[string]string"},
           {"/spec", +is_obj, "JobSpec"},
           {"/spec/backoffLimit", +is_int, "int32"},
           {"/spec/completions", +is_int, "int32"},
           {"/spec/parallelism", +is_int, "int32"},
           {"/spec/ttlSecondsAfterFinished", +is_int, "int32"},
           {"/spec/activeDeadlineSeconds", +is_int, "int64"},
           {"/spec/template", +is_obj, "PodTemplateSpec"},
           {"/spec/template/spec", +is_obj, "PodSpec"},
           {"/spec/template/spec/containers", +is_arr, "[]Container"},
           {"/spec/template/spec/restartPolicy", +is_str, "RestartPolicy"},
           {"/spec/template/spec/nodeSelector", +is_obj, "map[string]string"},
       })
    if (auto e = type_at(ptr, pred, t)) return e;
  for (const char* m : {"/metadata/labels", "/metadata/annotations", "/spec/template/spec/nodeSelector"}) {
    json::json_pointer p{m};
    if (job.contains(p))
      for (const auto& [k, v] : job.at(p).items())
        if (!v.is_string())
          return fmt::format("Job in version \"v1\" cannot be handled as a Job: json: cannot unmarshal {} into Go "
                             "value of type string ({}/{})",
                             v.type_name(), m, k);
  }
  if (job.contains("/spec/template/spec/containers"_json_pointer)) {
    for (const auto& c : job.at("/spec/template/spec/containers"_json_pointer)) {
      if (!c.is_object()) return std::string{"Job in version \"v1\" cannot be handled as a Job: json: cannot unmarshal "
                                             "into Go value of type v1.Container"};
      for (const char* f : {"name", "image"})
        if (c.contains(f) && !c[f].is_string())
          return fmt::format("Job in version \"v1\" cannot be handled as a Job: json: cannot unmarshal {} into Go "
                             "struct field Container.spec.template.spec.containers.{} of type string",
                             c[f].type_name(), f);
      for (const char* f : {"command", "args"})
        if (c.contains(f)) {
          if (!c[f].is_array()) return fmt::format("Job in version \"v1\" cannot be handled as a Job: {} must be a list", f);
          for (const auto& a : c[f])
            if (!a.is_string())
              return fmt::format("Job in version \"v1\" cannot be handled as a Job: json: cannot unmarshal {} into Go "
                                 "struct field Container.spec.template.spec.containers.{} of type string",
                                 a.type_name(), f);
        }
      if (c.contains("env")) {
        if (!c["env"].is_array()) return std::string{"Job in version \"v1\" cannot be handled as a Job: env must be a list"};
        for (const auto& e : c["env"])
          if (!e.is_object() || (e.contains("value") && !e["value"].is_string()))
            return std::string{"Job in version \"v1\" cannot be handled as a Job: json: cannot unmarshal into Go "
                               "struct field EnvVar.spec.template.spec.containers.env.value of type string"};
      }
    }
  }
  return std::nullopt;
}

std::vector<Cause> validate_job(const json& job) {
  std::vector<Cause> causes;
  auto required = [&](const std::string& field) { causes.push_back({"FieldValueRequired", "Required value", field}); };
  auto invalid = [&](const std::string& field, const std::string& msg) {
    causes.push_back({"FieldValueInvalid", msg, field});
  };
  const std::string name = job.value("/metadata/name"_json_pointer, std::string{});
  if (name.empty()) {
    causes.push_back({"FieldValueRequired", "name or generateName is required", "metadata.name"});
  } else if (!is_dns1123_subdomain(name)) {
    invalid("metadata.name", fmt::format("Invalid value: \"{}\": a lowercase RFC 1123 subdomain must consist of lower "
                                         "case alphanumeric characters, '-' or '.'",
                                         name));
  } else if (name.size() > 63) {
    invalid("metadata.name", fmt::format("Invalid value: \"{}\": must be no more than 63 characters", name));
  }
  if (job.contains("/metadata/labels"_json_pointer)) {
    for (const auto& [k, v] : job.at("/metadata/labels"_json_pointer).items()) {
      auto s = v.get<std::string>();
      if (!is_label_value(s))
        invalid(fmt::format("metadata.labels"), fmt::format("Invalid value: \"{}\": a valid label must be an empty "
                                                            "string or consist of alphanumeric characters, '-', '_' "
                                                            "or '.' (at most 63)",
                                                            s));
    }
  }
  for (const char* f : {"backoffLimit", "completions", "parallelism", "ttlSecondsAfterFinished"})
    if (job.contains("spec") && job["spec"].contains(f) && job["spec"][f].get<long long>() < 0)
      invalid(fmt::format("spec.{}", f), fmt::format("Invalid value: {}: must be greater than or equal to 0",
                                                     job["spec"][f].get<long long>()));
  if (!job.contains("/spec/template/spec"_json_pointer)) {
    required("spec.template.spec.containers");
    causes.push_back({"FieldValueNotSupported", "Unsupported value: \"Always\": supported values: \"OnFailure\", "
                                                "\"Never\"",
                      "spec.template.spec.restartPolicy"});
    return causes;
  }
  const auto& pod = job.at("/spec/template/spec"_json_pointer);
  if (!pod.contains("containers") || pod["containers"].empty()) {
    required("spec.template.spec.containers");
  } else {
    std::set<std::string> names;
    for (std::size_t i = 0; i < pod["containers"].size(); ++i) {
      const auto& c = pod["containers"][i];
      const auto base = fmt::format("spec.template.spec.containers[{}]", i);
      const std::string cname = c.value("name", std::string{});
      if (cname.empty()) required(base + ".name");
      else if (!is_dns1123_label(cname))
        invalid(base + ".name", fmt::format("Invalid value: \"{}\": a lowercase RFC 1123 label must consist of lower "
                                            "case alphanumeric characters or '-'",
                                            cname));
      else if (!names.insert(cname).second)
        causes.push_back({"FieldValueDuplicate", fmt::format("Duplicate value: \"{}\"", cname), base + ".name"});
      if (c.value("image", std::string{}).empty()) required(base + ".image");
      if (c.contains("env"))
        for (std::size_t k = 0; k < c["env"].size(); ++k)
          if (c["env"][k].value("name", std::string{}).empty()) required(fmt::format("{}.env[{}].name", base, k));
    }
  }
  const std::string restart = pod.value("restartPolicy", std::string{"Always"});
  if (restart != "Never" && restart != "OnFailure")
    causes.push_back({"FieldValueNotSupported",
                      fmt::format("Unsupported value: \"{}\": supported values: \"OnFailure\", \"Never\"", restart),
                      "spec.template.spec.restartPolicy"});
  return causes;
}

struct Event {
  std::uint64_t rv = 0;
  std::string type;
  std::string ns;    // empty for cluster-scoped objects (Nodes)
  std::string kind;  // Job, Node
  json object;
};

struct Timer {
  steady::time_point at;
  std::uint64_t seq = 0;
  std::string uid;  // the Job's; for apply_mode, the node's name
  enum class Action { start, finish, expire, apply_mode } action = Action::start;
  JobPlan plan;
  std::string mode;  // apply_mode: the requested mode
  bool operator>(const Timer& o) const { return at != o.at ? at > o.at : seq > o.seq; }
};

// The node agent's annotations (kube/power_mode.hpp), as JSON keys.
const std::string requested_mode_annotation{power_mode_annotation};
const std::string applied_mode_annotation{power_mode_applied_annotation};
const std::string mode_error_annotation{power_mode_error_annotation};

// A Job's pod: the object as served, and what its log says.
struct Pod {
  json object;
  json job;  // the Job as created
  JobPlan plan;
};

}  // namespace

struct FakeApiServer::State {
  ServerOptions options;
  KeyPair ca_keys;
  KeyPair server_keys;
  std::unique_ptr<ssl::context> tls;
  asio::io_context ioc;
  std::unique_ptr<tcp::acceptor> acceptor;
  std::uint16_t port = 0;

  mutable std::mutex mutex;
  std::condition_variable cv;  // state changes: events, stop, drops, timers
  bool stopping = false;
  bool running = false;
  std::uint64_t rv = 1;
  std::uint64_t compacted_rv = 0;  // events up to here are gone
  std::uint64_t uid_counter = 0;
  std::uint64_t drop_generation = 0;
  std::map<std::pair<std::string, std::string>, json> jobs;  // (ns, name)
  std::map<std::string, json> nodes;
  std::map<std::pair<std::string, std::string>, Pod> pods;  // (ns, name)
  NodeAgent agent;
  std::deque<Event> events;
  std::map<Endpoint, Faults> faults;
  JobRule rule = annotation_rule;
  std::mt19937_64 rng;
  std::vector<RequestRecord> log;
  std::size_t watches_open = 0;
  std::priority_queue<Timer, std::vector<Timer>, std::greater<>> timers;
  std::uint64_t timer_seq = 0;

  std::thread accept_thread;
  std::thread controller_thread;
  struct Conn {
    std::thread thread;
    int fd = -1;
    std::shared_ptr<std::atomic<bool>> done = std::make_shared<std::atomic<bool>>(false);
  };
  std::mutex conn_mutex;
  std::vector<std::unique_ptr<Conn>> conns;

  double uniform() { return std::uniform_real_distribution<double>{0, 1}(rng); }

  // --- requests ---------------------------------------------------------------
  using Stream = beast::ssl_stream<tcp::socket>;
  using Req = bhttp::request<bhttp::string_body>;

  std::uint64_t record(Endpoint e, const Req& req, int status, bool injected, const std::string& user) {
    std::lock_guard lock{mutex};
    RequestRecord r{log.size() + 1, e, std::string{req.method_string()}, std::string{req.target()}, status, injected, user};
    log.push_back(r);
    return r.seq;
  }

  static bool write_json(Stream& s, const Req& req, int status, const json& body,
                         std::vector<std::pair<std::string, std::string>> headers = {}) {
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

  static bool write_status(Stream& s, const Req& req, int code, const std::string& reason, const std::string& message,
                           const json& details = nullptr,
                           std::vector<std::pair<std::string, std::string>> headers = {}) {
    return write_json(s, req, code, make_status(code, reason, message, details), std::move(headers));
  }

  // Ends a stream mid-body without the final chunk: what the client sees when a
  // proxy or the server drops a watch. Data already sent still arrives.
  static void cut(Stream& s) {
    beast::error_code ec;
    s.next_layer().shutdown(tcp::socket::shutdown_both, ec);
    s.next_layer().close(ec);
  }

  static void reset(Stream& s) {
    beast::error_code ec;
    s.next_layer().set_option(asio::socket_base::linger(true, 0), ec);
    s.next_layer().close(ec);
  }

  // Waits `d` unless the server stops first.
  bool pause(std::chrono::milliseconds d) {
    std::unique_lock lock{mutex};
    return !cv.wait_for(lock, d, [&] { return stopping; });
  }

  std::string authenticate(Stream& s, const Req& req) {
    auto auth = req[bhttp::field::authorization];
    if (!options.token.empty() && auth == "Bearer " + options.token) return "token-user";
    if (options.accept_client_certificates) {
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
  bool handle(Stream& s, const Req& req) {
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
    std::optional<json> discovery = discovery_document(path, fmt::format("{}:{}", options.address, port));
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
      std::lock_guard lock{mutex};
      if (auto it = faults.find(ep); it != faults.end()) f = it->second;
    }
    if (f.latency.count() > 0 && !pause(f.latency)) return false;
    {
      std::unique_lock lock{mutex};
      if (f.reset_rate > 0 && uniform() < f.reset_rate) {
        lock.unlock();
        record(ep, req, 0, true, user);
        reset(s);
        return false;
      }
      double r = uniform(), acc = 0;
      for (const auto& [code, rate] : f.error_rates) {
        acc += rate;
        if (r < acc) {
          lock.unlock();
          record(ep, req, code, true, user);
          std::vector<std::pair<std::string, std::string>> headers;
          if (f.retry_after_s && (code == 429 || code == 503))
            headers.emplace_back("Retry-After", std::to_string(*f.retry_after_s));
          return write_status(s, req, code, reason_for_code(code), fmt::format("injected fault: {}", code), nullptr,
                              headers);
        }
      }
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
        std::unique_lock lock{mutex};
        auto it = jobs.find({ns, name});
        if (it == jobs.end()) {
          lock.unlock();
          return job_not_found(s, req, ep, name, user);
        }
        json obj = it->second;
        lock.unlock();
        record(ep, req, 200, false, user);
        return write_json(s, req, 200, obj);
      }
      case Endpoint::list_jobs:
        return list_objects(s, req, ep, user, query, job_field_labels(), "JobList", "batch/v1", [&, ns] {
          std::vector<const json*> out;
          for (const auto& [key, obj] : jobs)
            if (key.first == ns) out.push_back(&obj);
          return out;
        });
      case Endpoint::list_nodes:
        return list_objects(s, req, ep, user, query, node_field_labels(), "NodeList", "v1", [&] {
          std::vector<const json*> out;
          for (const auto& [key, obj] : nodes) out.push_back(&obj);
          return out;
        });
      case Endpoint::watch_jobs: return watch(s, req, ep, "Job", ns, query, f, user);
      case Endpoint::watch_nodes: return watch(s, req, ep, "Node", "", query, f, user);
      case Endpoint::delete_job: return delete_job(s, req, ns, name, query, user);
      case Endpoint::get_node: {
        std::unique_lock lock{mutex};
        auto it = nodes.find(name);
        if (it == nodes.end()) {
          lock.unlock();
          record(ep, req, 404, false, user);
          return write_status(s, req, 404, "NotFound", fmt::format("nodes \"{}\" not found", name),
                              {{"name", name}, {"kind", "nodes"}});
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
          for (const auto& [key, p] : pods)
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
  bool delete_job(Stream& s, const Req& req, const std::string& ns, const std::string& name, const Query& query,
                  const std::string& user) {
    const Endpoint ep = Endpoint::delete_job;
    DeleteOptions o;
    try {
      o = parse_delete_options(query, req.body());
    } catch (const QueryError& e) {
      record(ep, req, e.code, false, user);
      return write_status(s, req, e.code, e.reason, e.what());
    }
    std::unique_lock lock{mutex};
    auto it = jobs.find({ns, name});
    if (it == jobs.end()) {
      lock.unlock();
      return job_not_found(s, req, ep, name, user);
    }
    json obj = it->second;
    const std::string uid = obj["metadata"]["uid"];
    if (!o.dry_run) {
      jobs.erase(it);
      obj["metadata"]["deletionTimestamp"] = now_rfc3339();
      if (o.propagation_policy == "Foreground") {
        obj["metadata"]["finalizers"] = json::array({"foregroundDeletion"});
        bump(obj);
        push_event("MODIFIED", ns, obj);
        obj["metadata"].erase("finalizers");
      }
      if (o.propagation_policy == "Foreground" || o.propagation_policy == "Background") {
        delete_pods_of(uid);
      } else {
        for (auto& [key, p] : pods)
          if (p.object["metadata"]["labels"].value("controller-uid", std::string{}) == uid)
            p.object["metadata"].erase("ownerReferences"), bump(p.object);
      }
      bump(obj);
      push_event("DELETED", ns, obj);
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

  bool job_not_found(Stream& s, const Req& req, Endpoint ep, const std::string& name, const std::string& user) {
    record(ep, req, 404, false, user);
    return write_status(s, req, 404, "NotFound", fmt::format("jobs.batch \"{}\" not found", name),
                        {{"name", name}, {"group", "batch"}, {"kind", "jobs"}});
  }

  static bool write_text(Stream& s, const Req& req, const std::string& text) {
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

  // --- pods -------------------------------------------------------------------

  // Under the lock: the pod the Job controller makes for a new Job (Pending).
  void create_pod(const std::string& ns, const json& job, const JobPlan& plan) {
    static const char* alphabet = "bcdfghjklmnpqrstvwxz2456789";
    const std::string job_name = job["metadata"]["name"];
    std::string name;
    do {
      name = job_name + "-";
      for (int i = 0; i < 5; ++i) name += alphabet[rng() % 27];
    } while (pods.count({ns, name}));
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
               {"uid", fmt::format("00000000-0000-4000-a000-{:012x}", ++uid_counter)},
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
    bump(pod);
    pods[{ns, name}] = Pod{std::move(pod), job, plan};
  }

  // Under the lock: the pod of the Job `uid`, or nullptr.
  Pod* pod_of(const std::string& uid) {
    for (auto& [key, p] : pods)
      if (p.object["metadata"]["labels"].value("controller-uid", std::string{}) == uid) return &p;
    return nullptr;
  }

  void delete_pods_of(const std::string& uid) {
    std::erase_if(pods, [&](const auto& kv) {
      return kv.second.object["metadata"]["labels"].value("controller-uid", std::string{}) == uid;
    });
  }

  // Under the lock: moves the Job's pod to Running, Succeeded or Failed.
  void move_pod(const std::string& uid, const std::string& phase, const std::string& now) {
    Pod* p = pod_of(uid);
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
    bump(p->object);
  }

  // A list request as the server pages and filters it. `in_scope` runs under
  // the lock and gives the objects of the request's namespace in name order.
  bool list_objects(Stream& s, const Req& req, Endpoint ep, const std::string& user, const Query& query,
                    const std::vector<std::string>& field_labels, const std::string& kind,
                    const std::string& api_version, const std::function<std::vector<const json*>()>& in_scope) {
    auto refuse = [&](int code, const std::string& reason, const std::string& message) {
      record(ep, req, code, false, user);
      return write_status(s, req, code, reason, message);
    };
    ListOptions o;
    try {
      o = parse_list_options(query, field_labels);
    } catch (const QueryError& e) {
      return refuse(e.code, e.reason, e.what());
    }
    // Only Jobs and Nodes are watched here (watch); discovery lists no watch verb for the rest.
    if (o.watch)
      return refuse(405, "MethodNotAllowed", "the server does not allow this method on the requested resource");
    std::optional<std::uint64_t> requested;
    if (!o.continue_from && !o.resource_version.empty() && o.resource_version != "0") {
      try {
        std::size_t used = 0;
        requested = std::stoull(o.resource_version, &used);
        if (used != o.resource_version.size()) throw std::invalid_argument{"trailing characters"};
      } catch (const std::exception&) {
        return refuse(400, "BadRequest", fmt::format("invalid resource version: {}", o.resource_version));
      }
    }
    json items = json::array();
    json metadata = json::object();
    {
      std::unique_lock lock{mutex};
      std::uint64_t at = rv;
      if (o.continue_from) {
        if (o.continue_from->resource_version < compacted_rv) {
          lock.unlock();
          return refuse(410, "Expired",
                        "The provided continue parameter is too old to display a consistent list result. You can "
                        "start a new list without the continue parameter.");
        }
        at = o.continue_from->resource_version;
      } else if (requested && *requested > rv) {
        const auto current = rv;
        lock.unlock();
        return refuse(504, "Timeout", fmt::format("Too large resource version: {}, current: {}", *requested, current));
      } else if (requested && o.resource_version_match == "Exact" && *requested != rv) {
        // Only the newest state is kept here: an exact older list is gone.
        const auto current = rv;
        lock.unlock();
        return refuse(410, "Expired", fmt::format("too old resource version: {} ({})", *requested, current));
      }
      const bool selecting = !o.labels.empty() || !o.fields.empty();
      std::int64_t remaining = 0;
      std::string last;
      for (const json* obj : in_scope()) {
        const std::string name = obj->at("metadata").value("name", std::string{});
        if (o.continue_from && name < o.continue_from->start) continue;
        if (!matches(o.labels, *obj) || !matches(o.fields, *obj)) continue;
        if (o.limit && static_cast<std::int64_t>(items.size()) == *o.limit) {
          ++remaining;
          if (selecting) break;  // the server counts what remains only for unfiltered lists
          continue;
        }
        items.push_back(strip_kind(*obj));
        last = name;
      }
      metadata["resourceVersion"] = std::to_string(at);
      if (remaining > 0) {
        // The next page holds the names after the last one sent.
        metadata["continue"] = encode_continue({at, last + std::string(1, '\0')});
        if (!selecting) metadata["remainingItemCount"] = remaining;
      }
    }
    record(ep, req, 200, false, user);
    return write_json(s, req, 200,
                      {{"kind", kind}, {"apiVersion", api_version}, {"metadata", metadata}, {"items", items}});
  }

  // The rule's text once the container has started; 400 while it waits, as
  // the kubelet answers.
  bool pod_log(Stream& s, const Req& req, const std::string& ns, const std::string& name, const std::string& user) {
    const Endpoint ep = Endpoint::pod_log;
    std::unique_lock lock{mutex};
    auto it = pods.find({ns, name});
    if (it == pods.end()) {
      lock.unlock();
      record(ep, req, 404, false, user);
      return write_status(s, req, 404, "NotFound", fmt::format("pods \"{}\" not found", name),
                          {{"name", name}, {"kind", "pods"}});
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
        log::warn("fake-apiserver", "log rule failed for pod {}: {}", name, e.what());
        throw;
      }
    }
    record(ep, req, 200, false, user);
    return write_text(s, req, text);
  }

  static json strip_kind(json obj) {
    obj.erase("kind");
    obj.erase("apiVersion");
    return obj;
  }

  // Under the lock.
  void push_event(const std::string& type, const std::string& ns, const json& obj) {
    events.push_back(Event{rv, type, ns, obj.value("kind", std::string{}), obj});
    while (events.size() > options.event_history) {
      compacted_rv = events.front().rv;
      events.pop_front();
    }
    cv.notify_all();
  }

  // Under the lock: the next resourceVersion, stamped on `obj`.
  void bump(json& obj) {
    ++rv;
    obj["metadata"]["resourceVersion"] = std::to_string(rv);
  }

  bool create_job(Stream& s, const Req& req, const std::string& ns, const Query& query, const std::string& user) {
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
    std::vector<std::pair<std::string, std::string>> warnings;
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
    std::unique_lock lock{mutex};
    if (!job.contains("metadata")) job["metadata"] = json::object();
    auto& meta = job["metadata"];
    if ((!meta.contains("name") || meta["name"] == "") && meta.contains("generateName") &&
        meta["generateName"].is_string()) {
      static const char* alphabet = "bcdfghjklmnpqrstvwxz2456789";
      std::string suffix;
      for (int i = 0; i < 5; ++i) suffix += alphabet[rng() % 27];
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
    if (jobs.count({ns, name})) {
      lock.unlock();
      record(ep, req, 409, false, user);
      return write_status(s, req, 409, "AlreadyExists", fmt::format("jobs.batch \"{}\" already exists", name),
                          {{"name", name}, {"group", "batch"}, {"kind", "jobs"}});
    }
    const std::string uid = fmt::format("00000000-0000-4000-8000-{:012x}", ++uid_counter);
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
    bump(job);
    jobs[{ns, name}] = job;
    push_event("ADDED", ns, job);
    JobPlan plan;
    auto rule_copy = rule;
    lock.unlock();
    try {
      plan = rule_copy(job);
    } catch (const std::exception& e) {
      log::warn("fake-apiserver", "job rule failed for {}: {}", name, e.what());
    }
    lock.lock();
    if (jobs.count({ns, name})) create_pod(ns, job, plan);
    if (plan.starts) timers.push(Timer{steady::now() + plan.start_after, ++timer_seq, uid, Timer::Action::start, plan, {}});
    cv.notify_all();
    lock.unlock();
    record(ep, req, 201, false, user);
    return write_json(s, req, 201, job, warnings);
  }

  struct Refusal {
    int code = 400;
    std::string reason, message;
    json details = nullptr;
  };

  // A merge patch of metadata.labels and metadata.annotations, the only fields
  // this server patches, decoded and checked as the server would.
  static std::variant<json, Refusal> read_metadata_patch(const Req& req, const std::string& kind,
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

  bool refuse(Stream& s, const Req& req, Endpoint ep, const std::string& user, const Refusal& r) {
    record(ep, req, r.code, false, user);
    return write_status(s, req, r.code, r.reason, r.message, r.details);
  }

  // PATCH of a Job's labels or annotations (kubectl label, kubectl annotate).
  bool patch_job(Stream& s, const Req& req, const std::string& ns, const std::string& name, const std::string& user) {
    const Endpoint ep = Endpoint::patch_job;
    auto read = read_metadata_patch(req, "Job", name);
    if (auto* r = std::get_if<Refusal>(&read)) return refuse(s, req, ep, user, *r);
    std::unique_lock lock{mutex};
    auto it = jobs.find({ns, name});
    if (it == jobs.end()) {
      lock.unlock();
      return job_not_found(s, req, ep, name, user);
    }
    it->second.merge_patch(std::get<json>(read));
    bump(it->second);
    push_event("MODIFIED", ns, it->second);
    json obj = it->second;
    lock.unlock();
    record(ep, req, 200, false, user);
    return write_json(s, req, 200, obj);
  }

  bool patch_node(Stream& s, const Req& req, const std::string& name, const std::string& user) {
    const Endpoint ep = Endpoint::patch_node;
    auto read = read_metadata_patch(req, "Node", name);
    if (auto* r = std::get_if<Refusal>(&read)) return refuse(s, req, ep, user, *r);
    const json& patch = std::get<json>(read);
    std::unique_lock lock{mutex};
    auto it = nodes.find(name);
    if (it == nodes.end()) {
      lock.unlock();
      record(ep, req, 404, false, user);
      return write_status(s, req, 404, "NotFound", fmt::format("nodes \"{}\" not found", name),
                          {{"name", name}, {"kind", "nodes"}});
    }
    it->second.merge_patch(patch);
    bump(it->second);
    push_event("MODIFIED", "", it->second);
    json obj = it->second;
    const json& annotations = obj["metadata"]["annotations"];
    if (agent.enabled && patch.contains("/metadata/annotations"_json_pointer) &&
        patch["metadata"]["annotations"].is_object() &&
        patch["metadata"]["annotations"].contains(requested_mode_annotation) &&
        annotations.contains(requested_mode_annotation) && annotations[requested_mode_annotation].is_string()) {
      Timer t{steady::now() + agent.delay, ++timer_seq, name, Timer::Action::apply_mode, {}, {}};
      t.mode = annotations[requested_mode_annotation].get<std::string>();
      timers.push(std::move(t));
      cv.notify_all();
    }
    lock.unlock();
    record(ep, req, 200, false, user);
    return write_json(s, req, 200, obj);
  }

  // A watch of the Jobs of `ns` (kind Job) or of the Nodes (kind Node).
  bool watch(Stream& s, const Req& req, Endpoint ep, const std::string& kind, const std::string& ns,
             const Query& query, const Faults& f, const std::string& user) {
    ListOptions o;
    try {
      o = parse_list_options(query, kind == "Job" ? job_field_labels() : node_field_labels());
    } catch (const QueryError& e) {
      record(ep, req, e.code, false, user);
      return write_status(s, req, e.code, e.reason, e.what());
    }
    const bool bookmarks = o.allow_bookmarks;
    const std::chrono::seconds timeout = o.timeout.value_or(std::chrono::seconds{1800});
    const auto selected = [&](const json& obj) { return matches(o.labels, obj) && matches(o.fields, obj); };
    const std::string rv_text = o.resource_version;
    std::uint64_t from = 0;
    bool from_now = rv_text.empty() || rv_text == "0";
    if (!from_now) {
      try {
        from = std::stoull(rv_text);
      } catch (const std::exception&) {
        record(ep, req, 400, false, user);
        return write_status(s, req, 400, "BadRequest", fmt::format("invalid resource version: {}", rv_text));
      }
    }

    bool gone = false;
    std::string gone_message;
    {
      std::lock_guard lock{mutex};
      if (!from_now) {
        if (f.gone_on_resume_next > 0) {
          gone = true;
          auto it = faults.find(ep);
          if (it != faults.end() && it->second.gone_on_resume_next > 0) --it->second.gone_on_resume_next;
        } else if (f.gone_on_resume_rate > 0 && uniform() < f.gone_on_resume_rate) {
          gone = true;
        }
        if (gone) gone_message = fmt::format("too old resource version: {} ({})", from, rv);
        else if (from < compacted_rv) {
          gone = true;
          gone_message = fmt::format("too old resource version: {} ({})", from, compacted_rv + 1);
        }
      }
    }
    if (gone && f.gone_as_http) {
      record(ep, req, 410, true, user);
      return write_status(s, req, 410, "Gone", gone_message);
    }

    bhttp::response<bhttp::empty_body> res{bhttp::status::ok, req.version()};
    res.set(bhttp::field::server, "synergai-fake-apiserver");
    res.set(bhttp::field::content_type, "application/json");
    res.chunked(true);
    bhttp::response_serializer<bhttp::empty_body> sr{res};
    beast::error_code ec;
    bhttp::write_header(s, sr, ec);
    if (ec) return false;
    record(ep, req, 200, gone, user);
    auto write_line = [&](const json& ev) {
      std::string line = ev.dump() + "\n";
      asio::write(s, bhttp::make_chunk(asio::buffer(line)), ec);
      return !ec;
    };
    auto finish = [&] {
      asio::write(s, bhttp::make_chunk_last(), ec);
      return false;  // the stream's connection is not reused
    };
    if (gone) {
      write_line({{"type", "ERROR"}, {"object", make_status(410, "Expired", gone_message)}});
      return finish();
    }

    std::unique_lock lock{mutex};
    ++watches_open;
    struct Guard {
      State& st;
      ~Guard() {
        std::lock_guard l{st.mutex};
        --st.watches_open;
      }
    };
    lock.unlock();
    Guard guard{*this};
    lock.lock();
    const auto deadline = steady::now() + timeout;
    const std::uint64_t generation = drop_generation;
    int sent = 0;
    std::vector<json> batch;
    std::uint64_t cursor = from;
    if (from_now) {
      if (kind == "Job") {
        for (const auto& [key, obj] : jobs)
          if (key.first == ns && selected(obj)) batch.push_back({{"type", "ADDED"}, {"object", obj}});
      } else {
        for (const auto& [key, obj] : nodes)
          if (selected(obj)) batch.push_back({{"type", "ADDED"}, {"object", obj}});
      }
      cursor = rv;
    }
    auto next_bookmark = steady::now() + options.bookmark_interval;
    for (;;) {
      if (batch.empty()) {
        cv.wait_until(lock, std::min(deadline, bookmarks ? next_bookmark : deadline), [&] {
          return stopping || drop_generation != generation || (!events.empty() && events.back().rv > cursor);
        });
        if (stopping || drop_generation != generation) {
          lock.unlock();
          cut(s);
          return false;
        }
        auto it = std::upper_bound(events.begin(), events.end(), cursor,
                                   [](std::uint64_t v, const Event& e) { return v < e.rv; });
        for (; it != events.end(); ++it)
          if (it->kind == kind && it->ns == ns && selected(it->object))
            batch.push_back({{"type", it->type}, {"object", it->object}});
        cursor = std::max(cursor, rv);
      }
      const std::uint64_t bookmark_rv = cursor;
      const bool need_bookmark = bookmarks && steady::now() >= next_bookmark;
      bool drop_now = false;
      std::vector<bool> drop_before(batch.size(), false);
      for (std::size_t i = 0; i < batch.size(); ++i)
        drop_before[i] = (f.drop_rate > 0 && uniform() < f.drop_rate);
      lock.unlock();
      for (std::size_t i = 0; i < batch.size(); ++i) {
        if (drop_before[i] || (f.drop_after_events > 0 && sent >= f.drop_after_events)) {
          drop_now = true;
          break;
        }
        if (!write_line(batch[i])) return false;
        ++sent;
      }
      batch.clear();
      if (drop_now) {
        record(ep, req, 0, true, user);
        cut(s);
        return false;
      }
      if (need_bookmark) {
        json mark{{"type", "BOOKMARK"},
                  {"object", {{"kind", kind}, {"apiVersion", kind == "Job" ? "batch/v1" : "v1"},
                              {"metadata", {{"resourceVersion", std::to_string(bookmark_rv)}}}}}};
        if (!write_line(mark)) return false;
        next_bookmark = steady::now() + options.bookmark_interval;
      }
      if (steady::now() >= deadline) return finish();
      lock.lock();
    }
  }

  // --- the job controller -----------------------------------------------------
  void controller() {
    std::unique_lock lock{mutex};
    while (!stopping) {
      if (timers.empty()) {
        cv.wait(lock);
        continue;
      }
      auto at = timers.top().at;
      if (steady::now() < at) {
        cv.wait_until(lock, at);
        continue;
      }
      Timer t = timers.top();
      timers.pop();
      if (t.action == Timer::Action::apply_mode) {
        apply_mode(t.uid, t.mode);
        continue;
      }
      auto it = std::find_if(jobs.begin(), jobs.end(),
                             [&](const auto& kv) { return kv.second["metadata"]["uid"] == t.uid; });
      if (it == jobs.end()) continue;  // deleted meanwhile
      json& job = it->second;
      const std::string ns = it->first.first;
      const std::string now = now_rfc3339();
      auto& status = job["status"];
      if (t.action == Timer::Action::start) {
        status["startTime"] = now;
        status["active"] = 1;
        status["ready"] = 0;
        status["uncountedTerminatedPods"] = json::object();
        bump(job);
        push_event("MODIFIED", ns, job);
        move_pod(t.uid, "Running", now);
        timers.push(Timer{steady::now() + t.plan.run_for, ++timer_seq, t.uid, Timer::Action::finish, t.plan, {}});
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
        bump(job);
        push_event("MODIFIED", ns, job);
        move_pod(t.uid, t.plan.succeeds ? "Succeeded" : "Failed", now);
        if (job["spec"].contains("ttlSecondsAfterFinished"))
          timers.push(Timer{steady::now() + std::chrono::seconds{job["spec"]["ttlSecondsAfterFinished"].get<long long>()},
                            ++timer_seq, t.uid, Timer::Action::expire, t.plan, {}});
      } else {
        json obj = job;
        jobs.erase(it);
        delete_pods_of(t.uid);
        ++rv;
        obj["metadata"]["resourceVersion"] = std::to_string(rv);
        push_event("DELETED", ns, obj);
      }
    }
  }

  // Under the lock: the node agent's answer to a request for `mode` on `node`.
  void apply_mode(const std::string& node, const std::string& mode) {
    auto it = nodes.find(node);
    if (it == nodes.end()) return;
    auto& annotations = it->second["metadata"]["annotations"];
    if (annotations.value(requested_mode_annotation, std::string{}) != mode) return;  // superseded
    if (std::find(agent.refused.begin(), agent.refused.end(), mode) != agent.refused.end()) {
      annotations[mode_error_annotation] = fmt::format("{}: {}", mode, agent.refusal);
    } else {
      annotations[applied_mode_annotation] = mode;
      annotations.erase(mode_error_annotation);
    }
    bump(it->second);
    push_event("MODIFIED", "", it->second);
  }

  // --- connections ------------------------------------------------------------
  void serve(tcp::socket socket) {
    beast::error_code ec;
    timeval tv{60, 0};
    ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    Stream s{std::move(socket), *tls};
    s.handshake(ssl::stream_base::server, ec);
    if (ec) return;
    beast::flat_buffer buffer;
    for (;;) {
      Req req;
      bhttp::read(s, buffer, req, ec);
      if (ec) break;
      bool keep = false;
      try {
        keep = handle(s, req);
      } catch (const std::exception& e) {
        log::warn("fake-apiserver", "{} {}: {}", std::string{req.method_string()}, std::string{req.target()}, e.what());
        keep = write_status(s, req, 500, "InternalError", e.what());
      }
      if (!keep) break;
    }
    beast::error_code ignored;
    s.next_layer().shutdown(tcp::socket::shutdown_both, ignored);
    s.next_layer().close(ignored);
  }

  void accept_loop() {
    for (;;) {
      beast::error_code ec;
      tcp::socket socket{ioc};
      acceptor->accept(socket, ec);
      {
        std::lock_guard lock{mutex};
        if (stopping) break;
      }
      if (ec) continue;
      std::lock_guard lock{conn_mutex};
      // Reap finished connection threads.
      for (auto it = conns.begin(); it != conns.end();) {
        if ((*it)->done->load()) {
          (*it)->thread.join();
          it = conns.erase(it);
        } else {
          ++it;
        }
      }
      auto conn = std::make_unique<Conn>();
      conn->fd = socket.native_handle();
      auto done = conn->done;
      conn->thread = std::thread{[this, done, sock = std::move(socket)]() mutable {
        serve(std::move(sock));
        done->store(true);
      }};
      conns.push_back(std::move(conn));
    }
  }
};

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

FakeApiServer::FakeApiServer(ServerOptions options) : state_{std::make_shared<State>()} {
  state_->options = std::move(options);
  state_->rng.seed(state_->options.seed);
  state_->ca_keys = state_->options.ca ? *state_->options.ca : make_certificate_authority("synergai-fake-apiserver-ca");
  state_->server_keys =
      issue_certificate(state_->ca_keys, "synergai-fake-apiserver",
                        {"DNS:localhost", "IP:127.0.0.1", "DNS:kubernetes.default.svc"}, true);
}

FakeApiServer::~FakeApiServer() { stop(); }

void FakeApiServer::start() {
  auto& st = *state_;
  if (st.running) return;
  st.tls = std::make_unique<ssl::context>(ssl::context::tls_server);
  st.tls->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                      ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
  st.tls->use_certificate_chain(asio::buffer(st.server_keys.cert_pem));
  st.tls->use_private_key(asio::buffer(st.server_keys.key_pem), ssl::context::pem);
  if (st.options.accept_client_certificates) {
    st.tls->add_certificate_authority(asio::buffer(st.ca_keys.cert_pem));
    st.tls->set_verify_mode(ssl::verify_peer);  // a certificate is asked for, not required
  }
  beast::error_code ec;
  auto address = asio::ip::make_address(st.options.address, ec);
  if (ec) throw RuntimeError{fmt::format("fake API server: bad address {}", st.options.address)};
  st.acceptor = std::make_unique<tcp::acceptor>(st.ioc);
  tcp::endpoint ep{address, st.options.port};
  st.acceptor->open(ep.protocol(), ec);
  if (!ec) st.acceptor->set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) st.acceptor->bind(ep, ec);
  if (!ec) st.acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) throw RuntimeError{fmt::format("fake API server: cannot listen on {}:{}: {}", st.options.address,
                                         st.options.port, ec.message())};
  st.port = st.acceptor->local_endpoint().port();
  st.stopping = false;
  st.running = true;
  st.accept_thread = std::thread{[&st] { st.accept_loop(); }};
  st.controller_thread = std::thread{[&st] { st.controller(); }};
}

void FakeApiServer::stop() {
  auto& st = *state_;
  if (!st.running) return;
  {
    std::lock_guard lock{st.mutex};
    st.stopping = true;
    st.cv.notify_all();
  }
  ::shutdown(st.acceptor->native_handle(), SHUT_RDWR);
  st.accept_thread.join();
  beast::error_code ec;
  st.acceptor->close(ec);
  st.controller_thread.join();
  std::vector<std::unique_ptr<State::Conn>> conns;
  {
    std::lock_guard lock{st.conn_mutex};
    for (auto& c : st.conns)
      if (!c->done->load()) ::shutdown(c->fd, SHUT_RDWR);
    conns = std::move(st.conns);
  }
  for (auto& c : conns) c->thread.join();
  st.running = false;
}

std::uint16_t FakeApiServer::port() const { return state_->port; }
std::string FakeApiServer::url() const { return fmt::format("https://{}:{}", state_->options.address, state_->port); }
const KeyPair& FakeApiServer::ca() const { return state_->ca_keys; }
const std::string& FakeApiServer::token() const { return state_->options.token; }

std::string FakeApiServer::kubeconfig(const std::string& ns) const {
  return fmt::format(
      "apiVersion: v1\nkind: Config\nclusters:\n- name: synergai-fake\n  cluster:\n    server: {}\n"
      "    certificate-authority-data: {}\nusers:\n- name: synergai-fake\n  user:\n    token: {}\n"
      "contexts:\n- name: synergai-fake\n  context:\n    cluster: synergai-fake\n    user: synergai-fake\n"
      "    namespace: {}\ncurrent-context: synergai-fake\npreferences: {{}}\n",
      url(), base64_encode(ca().cert_pem), token(), ns);
}

KeyPair FakeApiServer::issue_client_certificate(const std::string& user, const std::string& group) const {
  return issue_certificate(state_->ca_keys, user, {}, false, group);
}

void FakeApiServer::add_node(const std::string& name, const std::map<std::string, std::string>& labels) {
  std::lock_guard lock{state_->mutex};
  json l = json::object();
  l["kubernetes.io/hostname"] = name;
  for (const auto& [k, v] : labels) l[k] = v;
  json node{{"kind", "Node"},
            {"apiVersion", "v1"},
            {"metadata",
             {{"name", name},
              {"uid", fmt::format("00000000-0000-4000-9000-{:012x}", ++state_->uid_counter)},
              {"labels", l},
              {"annotations", json::object()},
              {"creationTimestamp", now_rfc3339()}}},
            {"spec", json::object()},
            {"status", {{"conditions", json::array({{{"type", "Ready"}, {"status", "True"}}})}}}};
  state_->bump(node);
  state_->nodes[name] = node;
  state_->push_event("ADDED", "", node);
}

std::optional<json> FakeApiServer::job(const std::string& ns, const std::string& name) const {
  std::lock_guard lock{state_->mutex};
  auto it = state_->jobs.find({ns, name});
  if (it == state_->jobs.end()) return std::nullopt;
  return it->second;
}

std::vector<json> FakeApiServer::jobs(const std::string& ns) const {
  std::lock_guard lock{state_->mutex};
  std::vector<json> out;
  for (const auto& [key, obj] : state_->jobs)
    if (ns.empty() || key.first == ns) out.push_back(obj);
  return out;
}

std::vector<json> FakeApiServer::pods(const std::string& ns) const {
  std::lock_guard lock{state_->mutex};
  std::vector<json> out;
  for (const auto& [key, p] : state_->pods)
    if (ns.empty() || key.first == ns) out.push_back(p.object);
  return out;
}

std::optional<json> FakeApiServer::node(const std::string& name) const {
  std::lock_guard lock{state_->mutex};
  auto it = state_->nodes.find(name);
  if (it == state_->nodes.end()) return std::nullopt;
  return it->second;
}

std::uint64_t FakeApiServer::resource_version() const {
  std::lock_guard lock{state_->mutex};
  return state_->rv;
}

void FakeApiServer::set_job_rule(JobRule rule) {
  std::lock_guard lock{state_->mutex};
  state_->rule = std::move(rule);
}

void FakeApiServer::set_node_agent(NodeAgent agent) {
  std::lock_guard lock{state_->mutex};
  state_->agent = std::move(agent);
}

void FakeApiServer::set_faults(Endpoint endpoint, Faults faults) {
  std::lock_guard lock{state_->mutex};
  state_->faults[endpoint] = std::move(faults);
}

void FakeApiServer::clear_faults() {
  std::lock_guard lock{state_->mutex};
  state_->faults.clear();
}

void FakeApiServer::compact() {
  std::lock_guard lock{state_->mutex};
  state_->compacted_rv = state_->rv;
  state_->events.clear();
}

void FakeApiServer::drop_watches() {
  std::lock_guard lock{state_->mutex};
  ++state_->drop_generation;
  state_->cv.notify_all();
}

std::vector<RequestRecord> FakeApiServer::requests() const {
  std::lock_guard lock{state_->mutex};
  return state_->log;
}

std::size_t FakeApiServer::count(Endpoint endpoint, std::optional<int> status) const {
  std::lock_guard lock{state_->mutex};
  return static_cast<std::size_t>(std::count_if(state_->log.begin(), state_->log.end(), [&](const RequestRecord& r) {
    return r.endpoint == endpoint && (!status || r.status == *status);
  }));
}

std::size_t FakeApiServer::open_watches() const {
  std::lock_guard lock{state_->mutex};
  return state_->watches_open;
}

}  // namespace synergai::kube::fake
