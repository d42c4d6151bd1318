// What the fake API server's threads share (FakeApiServer holds it): its
// options and certificates, the store, the controllers, the fault reactors and
// the log of requests, all under one lock with one condition variable that
// every change notifies (a new event, a new timer, dropped watches, stop); and
// the listener and connection threads (testing/fake_apiserver.cpp). The
// routes (testing/fake_routes.hpp) reach everything through it.
#pragma once

#include "kube/tls_cert.hpp"
#include "testing/fake_controllers.hpp"
#include "testing/fake_faults.hpp"
#include "testing/fake_store.hpp"
#include "testing/fake_types.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

namespace synergai::kube::fake {

struct ServerState {
  explicit ServerState(ServerOptions o);

  ServerOptions options;
  KeyPair ca_keys;
  KeyPair server_keys;
  std::uint16_t port = 0;

  // The lock, and everything it guards.
  mutable std::mutex mutex;
  std::condition_variable cv;
  bool stopping = false;
  std::mt19937_64 rng;  // every seeded draw: injected faults, generated names
  Store store;
  Controllers controllers;
  FaultReactors faults;
  std::vector<RequestRecord> log;
  std::size_t watches_open = 0;

  // Listening and serving (not under the lock).
  bool running = false;
  std::unique_ptr<boost::asio::ssl::context> tls;
  boost::asio::io_context ioc;
  std::unique_ptr<boost::asio::ip::tcp::acceptor> acceptor;
  std::thread accept_thread;
  std::thread controller_thread;
  struct Conn {
    std::thread thread;
    int fd = -1;
    std::shared_ptr<std::atomic<bool>> done = std::make_shared<std::atomic<bool>>(false);
  };
  std::mutex conn_mutex;
  std::vector<std::unique_ptr<Conn>> conns;

  void accept_loop();
  void serve(boost::asio::ip::tcp::socket socket);
};

}  // namespace synergai::kube::fake
