// A synchronous HTTPS/1.1 client connection (Boost.Beast over Asio SSL):
// certificate and host-name verification, optional client certificate,
// keep-alive, connect and read timeouts, and line-by-line reading of a
// streamed (chunked) response body for watches.
//
// Each operation runs the connection's own io_context on the calling thread,
// so the deadlines of beast::tcp_stream apply. One thread uses a connection
// at a time; cancel() may be called from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace synergai::kube::http {

struct Endpoint {
  std::string host;       // name or IP address (no brackets)
  std::string port;       // "443" by default
  std::string base_path;  // path prefix of the server URL, without trailing '/'
};
// "https://host[:port][/path]"; throws InputError for anything else.
Endpoint parse_server_url(const std::string& url);

struct TlsSettings {
  std::string ca_pem;           // trusted CAs; empty: the system's default paths
  std::string client_cert_pem;  // optional client certificate (with key)
  std::string client_key_pem;
  bool insecure_skip_verify = false;
  std::string server_name;  // name to verify instead of the host (tls-server-name)
};

struct Timeouts {
  std::chrono::milliseconds connect{10000};
  std::chrono::milliseconds read{30000};
};

struct Request {
  std::string method = "GET";
  std::string target;  // path and query, without the endpoint's base path
  std::string body;
  std::string content_type;  // for bodies
  std::vector<std::pair<std::string, std::string>> headers;
};

struct Response {
  int status = 0;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;

  std::string header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? std::string{} : it->second;
  }
};

// Thrown for transport failures (resolve, connect, TLS, timeouts, reset).
class TransportError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class TlsContext;  // shared SSL settings; opaque
std::shared_ptr<TlsContext> make_tls_context(const TlsSettings& settings);

class Connection {
 public:
  Connection(Endpoint endpoint, std::shared_ptr<TlsContext> tls, Timeouts timeouts);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Sends one request and reads the whole response. Connects first if needed;
  // keeps the connection open when both sides allow it.
  Response send(const Request& request);

  // Sends a request whose response body is a stream. Returns the status and
  // headers; a non-2xx response is read whole (body filled) and the stream is
  // not open. While open, read_line() returns the body line by line.
  Response open_stream(const Request& request, std::chrono::milliseconds idle_timeout);
  // The next line of the stream (without '\n'); nullopt when the server ended
  // the stream cleanly. Throws TransportError if it was cut or timed out.
  std::optional<std::string> read_line();

  bool is_open() const;
  void close();
  // Thread-safe: makes a blocked operation fail promptly and the connection unusable.
  void cancel();
  bool cancelled() const { return cancelled_.load(); }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::atomic<bool> cancelled_{false};
};

}  // namespace synergai::kube::http
