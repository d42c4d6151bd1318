// The service's HTTP/1.1 server (Boost.Beast): keep-alive connections on a
// few I/O threads of its own (never CAF's), each request handed to
// Service::handle. Bodies over the limit get 413, unparsable requests 400.
// stop() is graceful: no new connections, requests in flight are answered,
// idle connections are closed, and the I/O threads end once nothing is left
// to do; the io_context and everything it still holds go with the server.
#pragma once

#include "service/service.hpp"

#include <cstdint>
#include <memory>
#include <string>

namespace synergai::service {

struct ServerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;  // 0: an ephemeral port
  int threads = 4;
  std::size_t max_body_bytes = 64 << 10;
  // Open connections. A new one past it closes the connection idle longest
  // (keep-alive, no request in flight), or itself when none is idle; so do
  // descriptors running out (EMFILE, ENFILE), after which accepting backs off.
  int max_connections = 1024;
  // Serve only /healthz, /readyz and /metrics (a listener for probes and
  // Prometheus); anything else is 404.
  bool probes_only = false;
};

class HttpServer {
 public:
  HttpServer(Service& service, ServerOptions options);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  void start();  // binds and starts serving; throws RuntimeError
  void stop();   // idempotent
  std::uint16_t port() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace synergai::service
