#include "service/http_server.hpp"

#include "support/errors.hpp"
#include "support/log.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <fmt/format.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <vector>

namespace synergai::service {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

namespace {
constexpr auto idle_timeout = std::chrono::seconds{60};
constexpr auto stop_timeout = std::chrono::seconds{10};  // for answers in flight
}

// The HttpServer owns the Impl alone. Handlers and sessions refer to it
// without owning it: a handler that owned it would be owned by the io_context
// inside it, a cycle that nothing frees. Handlers still queued when the
// io_context is destroyed are destroyed with it, and the sessions they hold.
struct HttpServer::Impl {
  class Session;
  // Answers that come later (a submission waiting for the journal, answered
  // by the thread that writes its batch) pass through the gate: once the server is
  // gone they are dropped instead of posted to a destroyed io_context.
  struct Gate {
    std::mutex mutex;
    bool open = true;
  };

  Service& service;
  ServerOptions options;
  net::io_context ioc;  // declared first: destroyed after everything that uses it
  tcp::acceptor acceptor{net::make_strand(ioc)};  // its strand serialises accept and close
  std::mutex mutex;
  std::condition_variable changed;  // a session ended or an I/O thread returned
  std::set<std::shared_ptr<Session>> sessions;
  int running_threads = 0;
  bool stopping = false;
  std::uint16_t bound_port = 0;
  std::vector<std::thread> threads;
  // Accept failures: a growing pause before the next try, and one log line per
  // interval at most (running out of descriptors repeats at every try).
  net::steady_timer accept_pause{acceptor.get_executor()};
  std::chrono::milliseconds pause_for{0};
  std::chrono::steady_clock::time_point last_accept_log{};
  std::uint64_t accept_errors_unlogged = 0;
  std::shared_ptr<Gate> gate = std::make_shared<Gate>();

  Impl(Service& s, ServerOptions o) : service{s}, options{std::move(o)} {}
  ~Impl() {
    std::lock_guard lock{gate->mutex};
    gate->open = false;
  }

  void accept();
  void accept_failed(const beast::error_code& ec);
  // Closes the connection idle longest; false when none is idle.
  bool shed_idle();
  void run_thread() {
    ioc.run();
    std::lock_guard lock{mutex};
    --running_threads;
    changed.notify_all();
  }
  void remove(const std::shared_ptr<Session>& s) {
    std::lock_guard lock{mutex};
    sessions.erase(s);
    changed.notify_all();
  }
};

class HttpServer::Impl::Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, Impl& server) : stream_{std::move(socket)}, server_{server} {}

  // Since when it waits for a request (0: a request is in flight).
  std::int64_t idle_since() const { return idle_since_; }

  void run() {
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->read(); });
  }

  // Called on stop: close now if idle, else after the answer in flight.
  void close_when_idle() {
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] {
      self->closing_ = true;
      if (!self->busy_) self->close();
    });
  }

 private:
  void read() {
    if (closing_) return close();
    idle_since_ = std::chrono::steady_clock::now().time_since_epoch().count();
    parser_.emplace();
    parser_->body_limit(server_.options.max_body_bytes);
    parser_->header_limit(16 * 1024);
    stream_.expires_after(idle_timeout);
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
  }

  void on_read(beast::error_code ec) {
    idle_since_ = 0;
    if (ec == http::error::body_limit) {
      return reply_error(413, fmt::format("request body over {} bytes", server_.options.max_body_bytes));
    }
    if (ec == http::error::end_of_stream || ec == beast::error::timeout || ec == net::error::operation_aborted ||
        ec == net::error::connection_reset || ec == net::error::eof) {
      return close();
    }
    if (ec) {
      if (ec.category() == beast::error_code{http::error::bad_target}.category())
        return reply_error(400, fmt::format("malformed HTTP request: {}", ec.message()));
      return close();
    }
    busy_ = true;
    auto& req = parser_->get();
    Request request{std::string{req.method_string()}, std::string{req.target()},
                    std::string{req[http::field::authorization]}, std::move(req.body())};
    const bool keep_alive = req.keep_alive();
    const unsigned version = req.version();
    const auto path = request.target.substr(0, request.target.find('?'));
    if (server_.options.probes_only && path != "/healthz" && path != "/readyz" && path != "/metrics")
      return write(Response{404, "application/json",
                            error_body("this listener serves /healthz, /readyz and /metrics only", ""), {}},
                   keep_alive && !closing_, version);
    // Most answers come during the call, and are written here; a submission
    // waiting for another thread's batch is answered by that thread, posted to
    // this session's strand. The connection waits for it (busy), others go on meanwhile.
    struct Answer {
      std::mutex mutex;
      bool during_call = true;
      std::optional<Response> now;
    };
    auto answer = std::make_shared<Answer>();
    Service::Reply reply = [answer, gate = server_.gate, weak = weak_from_this(), keep_alive,
                            version](Response response) {
      {
        std::lock_guard lock{answer->mutex};
        if (answer->during_call) {
          answer->now = std::move(response);
          return;
        }
      }
      std::lock_guard lock{gate->mutex};
      auto self = weak.lock();
      if (!gate->open || !self) return;  // the server is gone: nobody to answer
      net::post(self->stream_.get_executor(), [self, response = std::move(response), keep_alive, version]() mutable {
        self->write(std::move(response), keep_alive && !self->closing_, version);
      });
    };
    try {
      server_.service.handle_async(request, std::move(reply));
    } catch (const std::exception& e) {  // handle_async() does not throw; if it did, nothing answered
      log::error("http", "request failed", {{"method", request.method}, {"target", request.target}, {"error", e.what()}});
      std::lock_guard lock{answer->mutex};
      answer->now = Response{500, "application/json", error_body("internal error", ""), {}};
    }
    std::optional<Response> now;
    {
      std::lock_guard lock{answer->mutex};
      answer->during_call = false;
      now.swap(answer->now);
    }
    if (now) write(std::move(*now), keep_alive && !closing_, version);
  }

  void reply_error(int status, std::string message) {
    busy_ = true;
    write(Response{status, "application/json", error_body(message, status == 413 ? "body" : ""), {}}, false, 11);
  }

  void write(Response r, bool keep_alive, unsigned version) {
    auto res = std::make_shared<http::response<http::string_body>>(static_cast<http::status>(r.status), version);
    res->set(http::field::server, "synergai");
    res->set(http::field::content_type, r.content_type);
    for (auto& [k, v] : r.headers) res->set(k, v);
    res->body() = std::move(r.body);
    res->keep_alive(keep_alive);
    res->prepare_payload();
    stream_.expires_after(idle_timeout);
    http::async_write(stream_, *res, [self = shared_from_this(), res](beast::error_code ec, std::size_t) {
      self->busy_ = false;
      if (ec || !res->keep_alive()) return self->close();
      self->read();
    });
  }

  void close() {
    if (closed_) return;
    closed_ = true;
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.close();
    server_.remove(shared_from_this());
  }

  beast::tcp_stream stream_;
  Impl& server_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  bool busy_ = false;
  bool closing_ = false;
  bool closed_ = false;
  std::atomic<std::int64_t> idle_since_{0};
};

void HttpServer::Impl::accept() {
  acceptor.async_accept(net::make_strand(ioc), [this](beast::error_code ec, tcp::socket socket) {
    {
      std::lock_guard lock{mutex};
      if (stopping) return;
    }
    if (ec) return accept_failed(ec);
    pause_for = std::chrono::milliseconds{0};
    std::shared_ptr<Session> session;
    std::size_t open = 0;
    {
      std::lock_guard lock{mutex};
      open = sessions.size();
    }
    if (open >= static_cast<std::size_t>(std::max(options.max_connections, 1)) && !shed_idle()) {
      beast::error_code ignored;
      socket.close(ignored);  // every connection busy: this one is refused
    } else {
      {
        std::lock_guard lock{mutex};
        if (stopping) return;  // stop() has taken its list of the sessions to close
        session = std::make_shared<Session>(std::move(socket), *this);
        sessions.insert(session);
      }
      session->run();
    }
    accept();
  });
}

void HttpServer::Impl::accept_failed(const beast::error_code& ec) {
  const bool out_of_descriptors =
      ec == net::error::no_descriptors || (ec.category() == beast::system_category() && ec.value() == ENFILE) ||
      ec == net::error::no_buffer_space || ec == net::error::no_memory;
  const auto now = std::chrono::steady_clock::now();
  if (now - last_accept_log >= std::chrono::seconds{10}) {
    log::warn("http",
              out_of_descriptors ? "accept failed; closing the connection idle longest and trying again after a pause"
                                 : "accept failed",
              {{"error", ec.message()}, {"failures_since_last_report", accept_errors_unlogged}});
    last_accept_log = now;
    accept_errors_unlogged = 0;
  } else {
    ++accept_errors_unlogged;
  }
  if (out_of_descriptors) shed_idle();
  pause_for = std::min(std::max(pause_for * 2, std::chrono::milliseconds{10}), std::chrono::milliseconds{1000});
  accept_pause.expires_after(pause_for);
  accept_pause.async_wait([this](beast::error_code wait_ec) {
    if (wait_ec) return;
    accept();
  });
}

bool HttpServer::Impl::shed_idle() {
  std::shared_ptr<Session> oldest;
  {
    std::lock_guard lock{mutex};
    for (const auto& s : sessions) {
      const auto since = s->idle_since();
      if (since != 0 && (!oldest || since < oldest->idle_since())) oldest = s;
    }
  }
  if (!oldest) return false;
  oldest->close_when_idle();
  return true;
}

HttpServer::HttpServer(Service& service, ServerOptions options)
    : impl_{std::make_unique<Impl>(service, std::move(options))} {}

HttpServer::~HttpServer() { stop(); }

void HttpServer::start() {
  auto& i = *impl_;
  beast::error_code ec;
  auto address = net::ip::make_address(i.options.host == "localhost" ? "127.0.0.1" : i.options.host, ec);
  if (ec) throw RuntimeError{fmt::format("listen address {}: {}", i.options.host, ec.message())};
  tcp::endpoint endpoint{address, i.options.port};
  i.acceptor.open(endpoint.protocol(), ec);
  if (!ec) i.acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) i.acceptor.bind(endpoint, ec);
  if (!ec) i.acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) throw RuntimeError{fmt::format("cannot listen on {}:{}: {}", i.options.host, i.options.port, ec.message())};
  i.bound_port = i.acceptor.local_endpoint().port();
  i.accept();
  const int n = std::max(1, i.options.threads);
  {
    std::lock_guard lock{i.mutex};
    i.running_threads = n;
  }
  for (int t = 0; t < n; ++t) i.threads.emplace_back([&i] { i.run_thread(); });
}

std::uint16_t HttpServer::port() const { return impl_->bound_port; }

void HttpServer::stop() {
  auto& i = *impl_;
  std::vector<std::shared_ptr<Impl::Session>> sessions;
  {
    std::lock_guard lock{i.mutex};
    if (i.stopping) return;
    i.stopping = true;
    sessions.assign(i.sessions.begin(), i.sessions.end());
  }
  net::post(i.acceptor.get_executor(), [&i] {
    beast::error_code ec;
    i.acceptor.close(ec);  // the pending accept ends with operation_aborted
    i.accept_pause.cancel();  // so does a pause before the next accept
  });
  for (auto& s : sessions) s->close_when_idle();
  sessions.clear();
  // Once the acceptor and every session are closed the io_context runs out of
  // work and the I/O threads return by themselves.
  bool idle = false;
  {
    std::unique_lock lock{i.mutex};
    idle = i.changed.wait_for(lock, stop_timeout, [&] { return i.sessions.empty() && i.running_threads == 0; });
  }
  if (!idle) {
    log::warn("http", "stop: connections still open are dropped with the server", {{"after_s", stop_timeout.count()}});
    i.ioc.stop();
  }
  for (auto& t : i.threads)
    if (t.joinable()) t.join();
}

}  // namespace synergai::service
