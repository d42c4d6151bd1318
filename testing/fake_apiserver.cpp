#include "testing/fake_apiserver.hpp"

#include "kube/kubeconfig.hpp"
#include "support/errors.hpp"
#include "support/log.hpp"
#include "testing/fake_routes.hpp"
#include "testing/fake_state.hpp"

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <fmt/format.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <algorithm>

namespace synergai::kube::fake {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = boost::asio::ip::tcp;
using json = nlohmann::json;

ServerState::ServerState(ServerOptions o)
    : options{std::move(o)},
      rng{options.seed},
      store{options.event_history, cv},
      controllers{store, rng, cv},
      faults{rng} {
  ca_keys = options.ca ? *options.ca : make_certificate_authority("synergai-fake-apiserver-ca");
  server_keys = issue_certificate(ca_keys, "synergai-fake-apiserver",
                                  {"DNS:localhost", "IP:127.0.0.1", "DNS:kubernetes.default.svc"}, true);
}

void ServerState::serve(tcp::socket socket) {
  beast::error_code ec;
  timeval tv{60, 0};
  ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  Stream s{std::move(socket), *tls};
  s.handshake(ssl::stream_base::server, ec);
  if (ec) return;
  beast::flat_buffer buffer;
  for (;;) {
    Request req;
    bhttp::read(s, buffer, req, ec);
    if (ec) break;
    bool keep = false;
    try {
      keep = Routes{*this}.handle(s, req);
    } catch (const std::exception& e) {
      log::warn("fake-apiserver", "request failed",
                {{"method", std::string{req.method_string()}}, {"target", std::string{req.target()}}, {"error", e.what()}});
      keep = Routes{*this}.internal_error(s, req, e.what());
    }
    if (!keep) break;
  }
  beast::error_code ignored;
  s.next_layer().shutdown(tcp::socket::shutdown_both, ignored);
  s.next_layer().close(ignored);
}

void ServerState::accept_loop() {
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

FakeApiServer::FakeApiServer(ServerOptions options) : state_{std::make_shared<ServerState>(std::move(options))} {}

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
  st.controller_thread = std::thread{[&st] {
    std::unique_lock lock{st.mutex};
    st.controllers.run(lock, st.stopping);
  }};
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
  std::vector<std::unique_ptr<ServerState::Conn>> conns;
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
  state_->store.add_node(name, labels);
}

std::optional<json> FakeApiServer::job(const std::string& ns, const std::string& name) const {
  std::lock_guard lock{state_->mutex};
  auto it = state_->store.jobs.find({ns, name});
  if (it == state_->store.jobs.end()) return std::nullopt;
  return it->second;
}

std::vector<json> FakeApiServer::jobs(const std::string& ns) const {
  std::lock_guard lock{state_->mutex};
  std::vector<json> out;
  for (const auto& [key, obj] : state_->store.jobs)
    if (ns.empty() || key.first == ns) out.push_back(obj);
  return out;
}

std::vector<json> FakeApiServer::pods(const std::string& ns) const {
  std::lock_guard lock{state_->mutex};
  std::vector<json> out;
  for (const auto& [key, p] : state_->store.pods)
    if (ns.empty() || key.first == ns) out.push_back(p.object);
  return out;
}

std::optional<json> FakeApiServer::node(const std::string& name) const {
  std::lock_guard lock{state_->mutex};
  auto it = state_->store.nodes.find(name);
  if (it == state_->store.nodes.end()) return std::nullopt;
  return it->second;
}

std::uint64_t FakeApiServer::resource_version() const {
  std::lock_guard lock{state_->mutex};
  return state_->store.rv;
}

void FakeApiServer::set_job_rule(JobRule rule) {
  std::lock_guard lock{state_->mutex};
  state_->controllers.rule = std::move(rule);
}

void FakeApiServer::set_node_agent(NodeAgent agent) {
  std::lock_guard lock{state_->mutex};
  state_->controllers.agent = std::move(agent);
}

void FakeApiServer::set_faults(Endpoint endpoint, Faults faults) {
  std::lock_guard lock{state_->mutex};
  state_->faults.set(endpoint, std::move(faults));
}

void FakeApiServer::clear_faults() {
  std::lock_guard lock{state_->mutex};
  state_->faults.clear();
}

void FakeApiServer::compact() {
  std::lock_guard lock{state_->mutex};
  state_->store.compact();
}

void FakeApiServer::drop_watches() {
  std::lock_guard lock{state_->mutex};
  state_->faults.drop_watches();
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
