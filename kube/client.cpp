#include "kube/client.hpp"

#include "kube/manifest.hpp"
#include "support/log.hpp"

#include <fmt/format.h>

#include <fstream>
#include <sstream>

namespace synergai::kube {
namespace {

std::optional<std::chrono::seconds> parse_retry_after(const std::string& v) {
  if (v.empty()) return std::nullopt;
  try {
    std::size_t used = 0;
    long long s = std::stoll(v, &used);
    if (used != v.size() || s < 0) return std::nullopt;  // HTTP-date form: use our own backoff
    return std::chrono::seconds{s};
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

std::string job_namespace(const nlohmann::json& job, const std::string& fallback) {
  if (job.contains("metadata") && job["metadata"].contains("namespace") && job["metadata"]["namespace"].is_string())
    return job["metadata"]["namespace"].get<std::string>();
  return fallback;
}

}  // namespace

std::string url_encode(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') out += static_cast<char>(c);
    else out += fmt::format("%{:02X}", c);
  }
  return out;
}

WatchStream::WatchStream(std::unique_ptr<http::Connection> connection) : connection_{std::move(connection)} {}

std::optional<WatchEvent> WatchStream::next() {
  for (;;) {
    std::optional<std::string> line;
    try {
      line = connection_->read_line();
    } catch (const http::TransportError& e) {
      throw ApiError::transport(e.what());
    }
    if (!line) return std::nullopt;
    if (line->find_first_not_of(" \t\r") == std::string::npos) continue;
    auto j = nlohmann::json::parse(*line, nullptr, false);
    if (!j.is_object() || !j.contains("type") || !j["type"].is_string() || !j.contains("object"))
      throw ApiError::transport(fmt::format("malformed watch event: {}", line->substr(0, 200)));
    return WatchEvent{j["type"].get<std::string>(), std::move(j["object"])};
  }
}

void WatchStream::cancel() { connection_->cancel(); }

Client::Client(Credentials credentials, ClientOptions options)
    : credentials_{std::move(credentials)},
      options_{std::move(options)},
      endpoint_{http::parse_server_url(credentials_.server)},
      tls_{http::make_tls_context(http::TlsSettings{credentials_.ca_pem, credentials_.client_cert_pem,
                                                    credentials_.client_key_pem,
                                                    credentials_.insecure_skip_tls_verify,
                                                    credentials_.tls_server_name})},
      limiter_{options_.rate_limit, options_.clock},
      backoff_{options_.backoff},
      token_{credentials_.token},
      token_read_{std::chrono::steady_clock::now()} {}

Client::~Client() = default;

std::unique_ptr<http::Connection> Client::take_connection() {
  std::lock_guard lock{mutex_};
  if (!idle_.empty()) {
    auto c = std::move(idle_.back());
    idle_.pop_back();
    return c;
  }
  return std::make_unique<http::Connection>(endpoint_, tls_, options_.timeouts);
}

void Client::give_back(std::unique_ptr<http::Connection> c) {
  std::lock_guard lock{mutex_};
  if (c->is_open() && idle_.size() < options_.max_idle_connections) idle_.push_back(std::move(c));
}

std::vector<std::pair<std::string, std::string>> Client::auth_headers() {
  std::lock_guard lock{mutex_};
  // Rotating service-account tokens: re-read the file once a minute.
  if (!credentials_.token_file.empty() && std::chrono::steady_clock::now() - token_read_ > std::chrono::minutes{1}) {
    std::ifstream in{credentials_.token_file};
    std::ostringstream s;
    s << in.rdbuf();
    auto t = s.str();
    while (!t.empty() && (t.back() == '\n' || t.back() == '\r' || t.back() == ' ')) t.pop_back();
    if (!t.empty()) token_ = t;
    token_read_ = std::chrono::steady_clock::now();
  }
  if (token_.empty()) return {};
  return {{"Authorization", "Bearer " + token_}};
}

void Client::count_status(int status) {
  std::lock_guard lock{mutex_};
  ++stats_.by_status[status];
}

ClientStats Client::stats() const {
  std::lock_guard lock{mutex_};
  return stats_;
}

nlohmann::json Client::request(const std::string& method, const std::string& target, const std::string& body,
                               const std::string& content_type) {
  auto text = request_text(method, target, body, content_type);
  if (text.empty()) return nlohmann::json::object();
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded()) throw ApiError{200, "InvalidResponse", fmt::format("{} {}: the body is not JSON", method, target)};
  return j;
}

std::string Client::request_text(const std::string& method, const std::string& target, const std::string& body,
                                 const std::string& content_type) {
  http::Request req{method, target, body, content_type, auth_headers()};
  const int max_attempts = std::max(options_.backoff.max_attempts, 1);
  for (int attempt = 1;; ++attempt) {
    if (limiter_.acquire() > Clock::duration::zero()) {
      std::lock_guard lock{mutex_};
      ++stats_.throttled;
    }
    std::optional<ApiError> failure;
    try {
      auto conn = take_connection();  // a new one needs descriptors, which can run out
      {
        std::lock_guard lock{mutex_};
        ++stats_.attempts;
        if (attempt > 1) ++stats_.retries;
        if (!conn->is_open()) ++stats_.connections;
      }
      auto resp = conn->send(req);
      give_back(std::move(conn));
      count_status(resp.status);
      if (resp.status >= 200 && resp.status <= 299) return std::move(resp.body);
      failure = ApiError::from_response(resp.status, resp.body, parse_retry_after(resp.header("retry-after")));
    } catch (const http::TransportError& e) {
      std::lock_guard lock{mutex_};
      ++stats_.transport_errors;
      failure = ApiError::transport(e.what());
    }
    if (!failure->is_retryable() || attempt >= max_attempts) throw *failure;
    auto wait = backoff_.delay(attempt, failure->retry_after());
    log::debug("kube", "API request failed; retrying",
               {{"method", method}, {"target", target}, {"error", failure->what()}, {"attempt", attempt},
                {"max_attempts", max_attempts}, {"retry_in_s", std::chrono::duration<double>(wait).count()}});
    options_.clock->sleep_for(wait);
    req.headers = auth_headers();
  }
}

std::string Client::jobs_path(const std::string& ns) const {
  return fmt::format("/apis/batch/v1/namespaces/{}/jobs", url_encode(ns.empty() ? credentials_.namespace_name : ns));
}

nlohmann::json Client::version() { return request("GET", "/version"); }

nlohmann::json Client::create_job(const nlohmann::json& job) {
  return request("POST", jobs_path(job_namespace(job, credentials_.namespace_name)), job.dump());
}

CreatedJob Client::create_or_adopt_job(const nlohmann::json& job, const std::string& job_id) {
  try {
    return {create_job(job), false};
  } catch (const ApiError& e) {
    if (!e.is_already_exists()) throw;
    auto name = job.at("metadata").at("name").get<std::string>();
    auto existing = get_job(name, job_namespace(job, credentials_.namespace_name));
    if (!is_our_job(existing, job_id))
      throw ApiError{409, "AlreadyExists",
                     fmt::format("a Job named {} exists but was not made by synergai for job {}", name, job_id)};
    return {std::move(existing), true};
  }
}

nlohmann::json Client::get_job(const std::string& name, const std::string& ns) {
  return request("GET", jobs_path(ns) + "/" + url_encode(name));
}

// A List response: its items and the resourceVersion to watch from.
static ObjectList object_list(nlohmann::json j) {
  ObjectList out;
  if (j.contains("items") && j["items"].is_array())
    for (auto& item : j["items"]) out.items.push_back(std::move(item));
  out.resource_version = j.value("/metadata/resourceVersion"_json_pointer, std::string{});
  return out;
}

ObjectList Client::list_jobs(const std::string& selector, const std::string& ns) {
  std::string target = jobs_path(ns);
  if (!selector.empty()) target += "?labelSelector=" + url_encode(selector);
  return object_list(request("GET", target));
}

void Client::delete_job(const std::string& name, const std::string& ns) {
  nlohmann::json options{{"kind", "DeleteOptions"}, {"apiVersion", "v1"}, {"propagationPolicy", "Background"}};
  request("DELETE", jobs_path(ns) + "/" + url_encode(name) + "?propagationPolicy=Background", options.dump());
}

std::unique_ptr<WatchStream> Client::watch_jobs(const std::string& selector, const std::string& resource_version,
                                                const std::string& ns, bool bookmarks) {
  std::string target = jobs_path(ns) + "?watch=1";
  if (!selector.empty()) target += "&labelSelector=" + url_encode(selector);
  return open_watch(target, resource_version, bookmarks);
}

std::unique_ptr<WatchStream> Client::watch_node(const std::string& name, const std::string& resource_version) {
  return open_watch("/api/v1/nodes?watch=1&fieldSelector=" + url_encode("metadata.name=" + name), resource_version, true);
}

std::unique_ptr<WatchStream> Client::open_watch(std::string target, const std::string& resource_version,
                                                bool bookmarks) {
  if (!resource_version.empty()) target += "&resourceVersion=" + url_encode(resource_version);
  if (bookmarks) target += "&allowWatchBookmarks=true";
  target += fmt::format("&timeoutSeconds={}", options_.watch_timeout.count());
  if (limiter_.acquire() > Clock::duration::zero()) {
    std::lock_guard lock{mutex_};
    ++stats_.throttled;
  }
  {
    std::lock_guard lock{mutex_};
    ++stats_.attempts;
    ++stats_.connections;
  }
  std::unique_ptr<http::Connection> conn;
  http::Response head;
  try {
    conn = std::make_unique<http::Connection>(endpoint_, tls_, options_.timeouts);
    // The server sends bookmarks or ends the stream within its timeout; allow
    // a margin before calling the connection dead.
    head = conn->open_stream(http::Request{"GET", target, "", "", auth_headers()},
                             std::chrono::duration_cast<std::chrono::milliseconds>(options_.watch_timeout) +
                                 options_.timeouts.read);
  } catch (const http::TransportError& e) {
    std::lock_guard lock{mutex_};
    ++stats_.transport_errors;
    throw ApiError::transport(e.what());
  }
  count_status(head.status);
  if (head.status != 200)
    throw ApiError::from_response(head.status, head.body, parse_retry_after(head.header("retry-after")));
  return std::make_unique<WatchStream>(std::move(conn));
}

ObjectList Client::list_nodes(const std::string& selector) {
  std::string target = "/api/v1/nodes";
  if (!selector.empty()) target += "?labelSelector=" + url_encode(selector);
  return object_list(request("GET", target));
}

ObjectList Client::list_pods(const std::string& selector, const std::string& ns) {
  std::string target =
      fmt::format("/api/v1/namespaces/{}/pods", url_encode(ns.empty() ? credentials_.namespace_name : ns));
  if (!selector.empty()) target += "?labelSelector=" + url_encode(selector);
  return object_list(request("GET", target));
}

std::string Client::pod_log(const std::string& pod, const std::string& container, const std::string& ns) {
  std::string target = fmt::format("/api/v1/namespaces/{}/pods/{}/log",
                                   url_encode(ns.empty() ? credentials_.namespace_name : ns), url_encode(pod));
  if (!container.empty()) target += "?container=" + url_encode(container);
  return request_text("GET", target);
}

nlohmann::json Client::get_node(const std::string& name) { return request("GET", "/api/v1/nodes/" + url_encode(name)); }

nlohmann::json Client::patch_node(const std::string& name, const nlohmann::json& merge_patch) {
  return request("PATCH", "/api/v1/nodes/" + url_encode(name), merge_patch.dump(), "application/merge-patch+json");
}

}  // namespace synergai::kube
