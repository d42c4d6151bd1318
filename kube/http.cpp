#include "kube/http.hpp"

#include "support/errors.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <limits>

namespace synergai::kube::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = boost::asio::ip::tcp;

class TlsContext {
 public:
  explicit TlsContext(TlsSettings s) : settings{std::move(s)} {}
  ssl::context ctx{ssl::context::tls_client};
  TlsSettings settings;
};

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

bool is_ip_address(const std::string& host) {
  beast::error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

constexpr std::uint64_t max_body = 256ull * 1024 * 1024;

}  // namespace

Endpoint parse_server_url(const std::string& url) {
  const std::string scheme = "https://";
  if (url.rfind(scheme, 0) != 0)
    throw InputError{fmt::format("server URL \"{}\": only https:// API servers are supported", url)};
  std::string rest = url.substr(scheme.size());
  Endpoint ep;
  auto slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  if (slash != std::string::npos) ep.base_path = rest.substr(slash);
  while (!ep.base_path.empty() && ep.base_path.back() == '/') ep.base_path.pop_back();
  ep.port = "443";
  if (!authority.empty() && authority.front() == '[') {
    auto close = authority.find(']');
    if (close == std::string::npos) throw InputError{fmt::format("server URL \"{}\": unclosed '['", url)};
    ep.host = authority.substr(1, close - 1);
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':') throw InputError{fmt::format("server URL \"{}\": bad port", url)};
      ep.port = authority.substr(close + 2);
    }
  } else if (auto colon = authority.rfind(':'); colon != std::string::npos) {
    ep.host = authority.substr(0, colon);
    ep.port = authority.substr(colon + 1);
  } else {
    ep.host = authority;
  }
  if (ep.host.empty()) throw InputError{fmt::format("server URL \"{}\": no host", url)};
  if (ep.port.empty() || !std::all_of(ep.port.begin(), ep.port.end(), [](unsigned char c) { return std::isdigit(c); }))
    throw InputError{fmt::format("server URL \"{}\": bad port \"{}\"", url, ep.port)};
  return ep;
}

std::shared_ptr<TlsContext> make_tls_context(const TlsSettings& settings) {
  auto tls = std::make_shared<TlsContext>(settings);
  auto& ctx = tls->ctx;
  ctx.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                  ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
  beast::error_code ec;
  if (settings.insecure_skip_verify) {
    ctx.set_verify_mode(ssl::verify_none);
  } else {
    ctx.set_verify_mode(ssl::verify_peer);
    if (settings.ca_pem.empty()) ctx.set_default_verify_paths(ec);
    else ctx.add_certificate_authority(asio::buffer(settings.ca_pem), ec);
    if (ec) throw InputError{fmt::format("certificate authority: not a usable PEM certificate ({})", ec.message())};
  }
  if (!settings.client_cert_pem.empty() || !settings.client_key_pem.empty()) {
    if (settings.client_cert_pem.empty() || settings.client_key_pem.empty())
      throw InputError{"client certificate and client key must be given together"};
    ctx.use_certificate_chain(asio::buffer(settings.client_cert_pem), ec);
    if (ec) throw InputError{fmt::format("client certificate: not a usable PEM certificate ({})", ec.message())};
    ctx.use_private_key(asio::buffer(settings.client_key_pem), ssl::context::pem, ec);
    if (ec) throw InputError{fmt::format("client key: not a usable PEM private key ({})", ec.message())};
  }
  return tls;
}

struct Connection::Impl {
  Endpoint endpoint;
  std::shared_ptr<TlsContext> tls;
  Timeouts timeouts;
  asio::io_context ioc;
  std::optional<beast::ssl_stream<beast::tcp_stream>> stream;
  beast::flat_buffer buffer;
  bool open = false;
  // Streaming state.
  std::optional<bhttp::response_parser<bhttp::buffer_body>> stream_parser;
  std::string pending;
  bool stream_done = true;
  std::chrono::milliseconds idle{0};

  // Runs one asynchronous operation to completion on this thread.
  template <class Start>
  beast::error_code run(Start&& start) {
    beast::error_code result;
    start([&result](beast::error_code ec, auto&&...) { result = ec; });
    ioc.restart();
    ioc.run();
    return result;
  }

  // Asio opens its reactor's descriptors on first use, and reports running
  // out of them (EMFILE, ENFILE) by throwing: a transport failure, retried
  // like any other.
  void connect(const std::atomic<bool>& cancelled) {
    try {
      open_connection(cancelled);
    } catch (const boost::system::system_error& e) {
      stream.reset();
      throw TransportError{fmt::format("connecting to {}:{}: {}", endpoint.host, endpoint.port, e.what())};
    }
  }

  void open_connection(const std::atomic<bool>& cancelled) {
    if (cancelled) throw TransportError{"connection cancelled"};
    tcp::resolver resolver{ioc};
    beast::error_code ec;
    auto results = resolver.resolve(endpoint.host, endpoint.port, ec);
    if (ec) throw TransportError{fmt::format("resolving {}: {}", endpoint.host, ec.message())};
    stream.emplace(ioc, tls->ctx);
    const auto& s = tls->settings;
    const std::string name = s.server_name.empty() ? endpoint.host : s.server_name;
    if (!s.insecure_skip_verify) stream->set_verify_callback(ssl::host_name_verification(name));
    if (!is_ip_address(name)) SSL_set_tlsext_host_name(stream->native_handle(), name.c_str());
    auto& tcp_layer = beast::get_lowest_layer(*stream);
    tcp_layer.expires_after(timeouts.connect);
    ec = run([&](auto h) { tcp_layer.async_connect(results, std::move(h)); });
    if (ec) {
      stream.reset();
      throw TransportError{fmt::format("connecting to {}:{}: {}", endpoint.host, endpoint.port, ec.message())};
    }
    tcp_layer.expires_after(timeouts.connect);
    ec = run([&](auto h) { stream->async_handshake(ssl::stream_base::client, std::move(h)); });
    if (ec) {
      std::string detail = ec.message();
      if (ec.category() == asio::error::get_ssl_category()) {
        long v = SSL_get_verify_result(stream->native_handle());
        if (v != X509_V_OK) detail += fmt::format(" ({})", X509_verify_cert_error_string(v));
      }
      stream.reset();
      throw TransportError{fmt::format("TLS handshake with {}:{}: {}", endpoint.host, endpoint.port, detail)};
    }
    buffer.clear();
    open = true;
  }

  void close() {
    if (stream) {
      beast::error_code ec;
      beast::get_lowest_layer(*stream).socket().close(ec);
    }
    stream.reset();
    stream_parser.reset();
    stream_done = true;
    pending.clear();
    buffer.clear();
    open = false;
  }

  bhttp::request<bhttp::string_body> build(const Request& r) const {
    bhttp::request<bhttp::string_body> req;
    req.method_string(r.method);
    req.target(endpoint.base_path + r.target);
    req.version(11);
    std::string host = endpoint.host.find(':') != std::string::npos ? "[" + endpoint.host + "]" : endpoint.host;
    req.set(bhttp::field::host, endpoint.port == "443" ? host : host + ":" + endpoint.port);
    req.set(bhttp::field::user_agent, "synergai/" SYNERGAI_VERSION);
    req.set(bhttp::field::accept, "application/json");
    for (const auto& [k, v] : r.headers) req.set(k, v);
    if (!r.body.empty() || r.method == "POST" || r.method == "PUT" || r.method == "PATCH") {
      req.set(bhttp::field::content_type, r.content_type.empty() ? "application/json" : r.content_type);
      req.body() = r.body;
    }
    req.keep_alive(true);
    req.prepare_payload();
    return req;
  }

  void write(const Request& r) {
    auto req = build(r);
    beast::get_lowest_layer(*stream).expires_after(timeouts.read);
    auto ec = run([&](auto h) { bhttp::async_write(*stream, req, std::move(h)); });
    if (ec) throw TransportError{fmt::format("sending {} {}: {}", r.method, r.target, ec.message())};
  }

  template <class Msg>
  static void copy_headers(const Msg& m, Response& out) {
    for (const auto& f : m) out.headers[lower(std::string{f.name_string()})] = std::string{f.value()};
  }
};

Connection::Connection(Endpoint endpoint, std::shared_ptr<TlsContext> tls, Timeouts timeouts)
    : impl_{std::make_unique<Impl>()} {
  impl_->endpoint = std::move(endpoint);
  impl_->tls = std::move(tls);
  impl_->timeouts = timeouts;
}

Connection::~Connection() { impl_->close(); }

bool Connection::is_open() const { return impl_->open; }

void Connection::close() { impl_->close(); }

void Connection::cancel() {
  cancelled_ = true;
  asio::post(impl_->ioc, [impl = impl_.get()] {
    if (impl->stream) {
      beast::error_code ec;
      beast::get_lowest_layer(*impl->stream).socket().close(ec);
    }
  });
}

Response Connection::send(const Request& request) {
  auto& im = *impl_;
  for (int attempt = 0;; ++attempt) {
    if (cancelled_) throw TransportError{"connection cancelled"};
    const bool reused = im.open;
    if (!im.open) im.connect(cancelled_);
    bool got_bytes = false;
    try {
      im.write(request);
      bhttp::response_parser<bhttp::string_body> parser;
      parser.body_limit(max_body);
      beast::get_lowest_layer(*im.stream).expires_after(im.timeouts.read);
      auto ec = im.run([&](auto h) { bhttp::async_read(*im.stream, im.buffer, parser, std::move(h)); });
      got_bytes = parser.got_some();
      if (ec) throw TransportError{fmt::format("reading the response to {} {}: {}", request.method, request.target,
                                               ec.message())};
      auto msg = parser.release();
      Response out;
      out.status = static_cast<int>(msg.result_int());
      Impl::copy_headers(msg, out);
      out.body = std::move(msg.body());
      if (!msg.keep_alive()) im.close();
      return out;
    } catch (const TransportError&) {
      im.close();
      // A kept-alive connection the server closed meanwhile: the request was
      // never answered, so try once more on a fresh connection.
      if (reused && !got_bytes && attempt == 0 && !cancelled_) continue;
      throw;
    }
  }
}

Response Connection::open_stream(const Request& request, std::chrono::milliseconds idle_timeout) {
  auto& im = *impl_;
  if (cancelled_) throw TransportError{"connection cancelled"};
  // A stream always gets a fresh connection: simpler, and never stale.
  im.close();
  im.connect(cancelled_);
  im.idle = idle_timeout;
  try {
    im.write(request);
    im.stream_parser.emplace();
    // Not boost::none: Boost 1.74 then rejects any Content-Length body.
    im.stream_parser->body_limit(std::numeric_limits<std::uint64_t>::max());
    beast::get_lowest_layer(*im.stream).expires_after(im.timeouts.read);
    auto ec = im.run([&](auto h) { bhttp::async_read_header(*im.stream, im.buffer, *im.stream_parser, std::move(h)); });
    if (ec) throw TransportError{fmt::format("reading the header of {}: {}", request.target, ec.message())};
    Response out;
    const auto& header = im.stream_parser->get();
    out.status = static_cast<int>(header.result_int());
    Impl::copy_headers(header, out);
    im.stream_done = im.stream_parser->is_done();
    im.pending.clear();
    if (out.status < 200 || out.status > 299) {
      while (auto line = read_line()) out.body += *line + "\n";
      im.close();
    }
    return out;
  } catch (const TransportError&) {
    im.close();
    throw;
  }
}

std::optional<std::string> Connection::read_line() {
  auto& im = *impl_;
  for (;;) {
    if (auto nl = im.pending.find('\n'); nl != std::string::npos) {
      std::string line = im.pending.substr(0, nl);
      im.pending.erase(0, nl + 1);
      return line;
    }
    if (im.stream_done) {
      if (im.pending.empty()) return std::nullopt;
      std::string rest = std::move(im.pending);
      im.pending.clear();
      return rest;
    }
    if (cancelled_ || !im.stream) throw TransportError{"stream cancelled"};
    char buf[16384];
    auto& body = im.stream_parser->get().body();
    body.data = buf;
    body.size = sizeof buf;
    beast::get_lowest_layer(*im.stream).expires_after(im.idle);
    auto ec = im.run([&](auto h) { bhttp::async_read_some(*im.stream, im.buffer, *im.stream_parser, std::move(h)); });
    if (ec && ec != bhttp::error::need_buffer) {
      im.close();
      throw TransportError{fmt::format("stream cut: {}", ec.message())};
    }
    im.pending.append(buf, sizeof buf - im.stream_parser->get().body().size);
    if (im.stream_parser->is_done()) {
      im.stream_done = true;
      // Keep nothing of a finished stream; the next request reconnects.
      std::string rest = std::move(im.pending);
      im.close();
      im.pending = std::move(rest);
    }
  }
}

}  // namespace synergai::kube::http
