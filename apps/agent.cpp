// `synergai agent`: the node agent, one per node (a DaemonSet). It applies the
// power mode the scheduler asks for on its own Node and reports it
// (kube/node_agent.hpp); /metrics and /healthz on their own port. SIGTERM or
// SIGINT stop it.
#include "apps/cli.hpp"
#include "config/testbed.hpp"
#include "kube/kubeconfig.hpp"
#include "kube/node_agent.hpp"
#include "support/errors.hpp"
#include "support/log.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <fmt/format.h>

#include <sys/socket.h>
#include <sys/time.h>

#include <atomic>
#include <csignal>
#include <cstdlib>
#include <thread>

namespace synergai::app {
namespace {

namespace asio = boost::asio;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

struct AgentArgs {
  std::string node;
  std::string testbed;
  std::string kubeconfig;
  std::string context;
  std::string root = "/";
  std::string nvpmodel;
  std::string metrics_address = "0.0.0.0:9101";
  int retry_ms = 1000;
};

// /metrics (Prometheus text) and /healthz (200 while the API server answers)
// over plain HTTP, one request per connection, on a thread of its own.
class MetricsEndpoint {
 public:
  MetricsEndpoint(const std::string& address, const kube::NodeAgent& agent) : agent_{agent} {
    const auto colon = address.rfind(':');
    if (colon == std::string::npos) throw InputError{fmt::format("--metrics-address {}: expected HOST:PORT", address)};
    boost::system::error_code ec;
    const auto ip = asio::ip::make_address(address.substr(0, colon), ec);
    int port = -1;
    try {
      port = std::stoi(address.substr(colon + 1));
    } catch (const std::exception&) {
    }
    if (ec || port < 0 || port > 65535)
      throw InputError{fmt::format("--metrics-address {}: expected an IP address and a port", address)};
    acceptor_.open(ip.is_v6() ? tcp::v6() : tcp::v4());
    acceptor_.set_option(asio::socket_base::reuse_address(true));
    acceptor_.bind({ip, static_cast<unsigned short>(port)}, ec);
    if (ec) throw RuntimeError(fmt::format("cannot listen on {}: {}", address, ec.message()));
    acceptor_.listen();
    log::info("agent", "metrics and health listening",
              {{"address", fmt::format("http://{}:{}", address.substr(0, colon), acceptor_.local_endpoint().port())}});
    thread_ = std::thread{[this] { serve(); }};
  }
  ~MetricsEndpoint() {
    // A blocked accept() wakes up on shutdown(), not on close().
    ::shutdown(acceptor_.native_handle(), SHUT_RDWR);
    stopping_ = true;
    thread_.join();
    boost::system::error_code ec;
    acceptor_.close(ec);
  }

 private:
  void serve() {
    for (;;) {
      tcp::socket socket{io_};
      boost::system::error_code ec;
      acceptor_.accept(socket, ec);
      if (stopping_) return;
      if (ec) continue;
      // One connection at a time: a client that sends nothing gives up its turn.
      timeval five_seconds{5, 0};
      ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &five_seconds, sizeof five_seconds);
      ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_SNDTIMEO, &five_seconds, sizeof five_seconds);
      boost::beast::flat_buffer buffer;
      bhttp::request<bhttp::string_body> req;
      bhttp::read(socket, buffer, req, ec);
      if (ec) continue;
      bhttp::response<bhttp::string_body> res{bhttp::status::ok, req.version()};
      const auto target = std::string{req.target()};
      if (target == "/metrics") {
        res.set(bhttp::field::content_type, "text/plain; version=0.0.4");
        res.body() = agent_.metrics_text();
      } else if (target == "/healthz") {
        const bool ok = agent_.metrics().connected;
        res.result(ok ? bhttp::status::ok : bhttp::status::service_unavailable);
        res.body() = ok ? "ok\n" : "the API server has not answered the last request\n";
      } else {
        res.result(bhttp::status::not_found);
        res.body() = "not found\n";
      }
      res.keep_alive(false);
      res.prepare_payload();
      bhttp::write(socket, res, ec);
    }
  }

  const kube::NodeAgent& agent_;
  std::atomic<bool> stopping_{false};
  asio::io_context io_;
  tcp::acceptor acceptor_{io_};
  std::thread thread_;
};

int run_agent(AgentArgs a) {
  if (a.node.empty())
    if (const char* env = std::getenv("NODE_NAME")) a.node = env;
  if (a.node.empty()) throw InputError{"no node: pass --node or set NODE_NAME (the downward API's spec.nodeName)"};
  const auto testbed = config::load_testbed(a.testbed);
  const NodeSpec* node = nullptr;
  for (const auto& n : testbed.nodes)
    if (n.kubernetes_node == a.node) node = &n;
  if (!node)
    throw InputError{fmt::format("testbed {} ({}) has no node whose kubernetes_node is \"{}\"", testbed.name,
                                 a.testbed, a.node)};
  if (!node->has_modes())
    throw InputError{fmt::format("node {} of testbed {} has no power modes: it needs no agent", node->name, a.testbed)};
  auto driver = a.nvpmodel.empty() ? kube::sysfs_driver(a.root, node->power_modes) : kube::nvpmodel_driver(a.nvpmodel);

  kube::CredentialSource source;
  source.explicit_path = a.kubeconfig;
  source.context = a.context;
  auto credentials = kube::resolve_credentials(source);
  log::info("agent", "started",
            {{"node", a.node}, {"testbed_node", node->name}, {"testbed", testbed.name}, {"driver", driver->name()},
             {"server", credentials.server}, {"credentials", credentials.origin}});

  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  kube::NodeAgent agent{std::make_shared<kube::Client>(credentials), *node, std::move(driver),
                        kube::AgentOptions{a.node, std::chrono::milliseconds{a.retry_ms}}};
  MetricsEndpoint endpoint{a.metrics_address, agent};
  std::thread stopper{[&] {
    int received = 0;
    sigwait(&signals, &received);
    log::info("agent", "stopping", {{"signal", received}});
    agent.stop();
  }};
  std::string failure;
  try {
    agent.run();
  } catch (const std::exception& e) {
    failure = e.what();
  }
  if (!failure.empty()) pthread_kill(stopper.native_handle(), SIGTERM);  // wake the signal thread
  stopper.join();
  if (!failure.empty()) throw RuntimeError(failure);
  return 0;
}

}  // namespace

void add_agent_command(CLI::App& app) {
  static AgentArgs a;
  auto* sub = app.add_subcommand("agent", "Run the node agent: apply the power mode the scheduler requests on this node");
  sub->add_option("--node", a.node, "This machine's Kubernetes Node (default: $NODE_NAME)");
  sub->add_option("--testbed", a.testbed, "Testbed YAML defining the node's power modes")
      ->required()
      ->check(CLI::ExistingFile);
  sub->add_option("--kubeconfig", a.kubeconfig, "Kubeconfig (default: $KUBECONFIG, ~/.kube/config, in-cluster)");
  sub->add_option("--context", a.context, "Kubeconfig context (default: its current-context)");
  sub->add_option("--root", a.root, "Prefix of /sys for the sysfs driver (tests: a fake tree)")->capture_default_str();
  sub->add_option("--nvpmodel", a.nvpmodel, "Apply modes with this nvpmodel program (Jetson) instead of sysfs");
  sub->add_option("--metrics-address", a.metrics_address, "HOST:PORT of /metrics and /healthz (port 0: any)")
      ->capture_default_str();
  sub->add_option("--retry-ms", a.retry_ms, "Wait after a failed API call or a lost watch")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  sub->footer(
      "Examples:\n"
      "  synergai agent --testbed /etc/synergai/testbed.yaml                 # in a DaemonSet (NODE_NAME set)\n"
      "  synergai agent --node jetson-nx-1 --testbed tb.yaml --nvpmodel /usr/sbin/nvpmodel\n"
      "  synergai agent --node nx-1 --testbed tb.yaml --root /tmp/fake-sys --kubeconfig fake.yaml");
  set_action(sub, [] { return run_agent(a); });
}

}  // namespace synergai::app
