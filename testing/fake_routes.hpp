// The fake API server's routes: a request read from a connection is
// authenticated (bearer token or client certificate), meets its endpoint's
// faults (testing/fake_faults.hpp), and is dispatched by path and method to
// the handler that reads or changes the store, answering as the Kubernetes
// API does: Status errors, defaulted and validated Jobs, merge patches of
// labels and annotations, deletes with propagation, lists in pages with
// selectors (testing/fake_lists.cpp), chunked watch streams with bookmarks,
// pod logs. Every request is recorded (FakeApiServer::requests).
#pragma once

#include "testing/fake_query.hpp"
#include "testing/fake_state.hpp"

#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <chrono>
#include <functional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace synergai::kube::fake {

using Stream = boost::beast::ssl_stream<boost::asio::ip::tcp::socket>;
using Request = boost::beast::http::request<boost::beast::http::string_body>;
using Headers = std::vector<std::pair<std::string, std::string>>;

class Routes {
 public:
  explicit Routes(ServerState& st) : st_{st} {}

  // Answers `req`; returns whether the connection stays open.
  bool handle(Stream& s, const Request& req);
  // The answer to a request whose handler threw.
  bool internal_error(Stream& s, const Request& req, const std::string& what);

 private:
  struct Refusal {
    int code = 400;
    std::string reason, message;
    nlohmann::json details = nullptr;
  };

  std::uint64_t record(Endpoint e, const Request& req, int status, bool injected, const std::string& user);
  bool refuse(Stream& s, const Request& req, Endpoint ep, const std::string& user, const Refusal& r);
  // A 404 Status as the API server writes it: `kind` plural ("nodes"), `group` empty for the core group.
  struct Resource {
    std::string kind;
    std::string group;
  };
  bool not_found(Stream& s, const Request& req, Endpoint ep, const Resource& resource, const std::string& name,
                 const std::string& user);
  bool pause(std::chrono::milliseconds d);
  std::string authenticate(Stream& s, const Request& req);
  static std::variant<nlohmann::json, Refusal> read_metadata_patch(const Request& req, const std::string& kind,
                                                                   const std::string& name);

  bool create_job(Stream& s, const Request& req, const std::string& ns, const Query& query, const std::string& user);
  bool delete_job(Stream& s, const Request& req, const std::string& ns, const std::string& name, const Query& query,
                  const std::string& user);
  bool patch_job(Stream& s, const Request& req, const std::string& ns, const std::string& name,
                 const std::string& user);
  bool patch_node(Stream& s, const Request& req, const std::string& name, const std::string& user);
  bool pod_log(Stream& s, const Request& req, const std::string& ns, const std::string& name, const std::string& user);
  // testing/fake_lists.cpp
  bool list_objects(Stream& s, const Request& req, Endpoint ep, const std::string& user, const Query& query,
                    const std::vector<std::string>& field_labels, const std::string& kind,
                    const std::string& api_version,
                    const std::function<std::vector<const nlohmann::json*>()>& in_scope);
  bool watch(Stream& s, const Request& req, Endpoint ep, const std::string& kind, const std::string& ns,
             const Query& query, const Faults& f, const std::string& user);

  ServerState& st_;
};

// Answers on the connection; each returns whether it stays open.
bool write_json(Stream& s, const Request& req, int status, const nlohmann::json& body, Headers headers = {});
bool write_status(Stream& s, const Request& req, int code, const std::string& reason, const std::string& message,
                  const nlohmann::json& details = nullptr, Headers headers = {});
bool write_text(Stream& s, const Request& req, const std::string& text);
// Ends a stream mid-body without the final chunk: what the client sees when a
// proxy or the server drops a watch. Data already sent still arrives.
void cut(Stream& s);
// Resets the connection (RST) instead of answering.
void reset(Stream& s);

}  // namespace synergai::kube::fake
