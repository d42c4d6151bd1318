#include "service/http_client.hpp"

#include "support/errors.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <fmt/format.h>

#include <charconv>
#include <optional>

namespace synergai::service {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

Url parse_url(const std::string& text) {
  std::string_view s{text};
  if (s.rfind("http://", 0) != 0) throw InputError{fmt::format("server URL {}: expected http://HOST:PORT", text)};
  s.remove_prefix(7);
  if (!s.empty() && s.back() == '/') s.remove_suffix(1);
  auto colon = s.rfind(':');
  Url u;
  if (colon == std::string_view::npos) {
    u.host = std::string{s};
    u.port = 80;
  } else {
    u.host = std::string{s.substr(0, colon)};
    unsigned port = 0;
    auto p = s.substr(colon + 1);
    auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), port);
    if (ec != std::errc{} || end != p.data() + p.size() || port == 0 || port > 65535)
      throw InputError{fmt::format("server URL {}: bad port", text)};
    u.port = static_cast<std::uint16_t>(port);
  }
  if (u.host.empty()) throw InputError{fmt::format("server URL {}: no host", text)};
  return u;
}

struct HttpClient::Impl {
  Url url;
  std::string token;
  std::chrono::milliseconds timeout;
  net::io_context ioc;
  std::optional<beast::tcp_stream> stream;
  beast::flat_buffer buffer;

  void connect() {
    tcp::resolver resolver{ioc};
    auto endpoints = resolver.resolve(url.host, std::to_string(url.port));
    stream.emplace(ioc);
    stream->expires_after(timeout);
    stream->connect(endpoints);
    stream->socket().set_option(tcp::no_delay(true));
    buffer.clear();
  }

  HttpResult once(const std::string& method, const std::string& target, const std::string& body,
                  const std::string& content_type) {
    if (!stream) connect();
    http::request<http::string_body> req{http::string_to_verb(method), target, 11};
    req.set(http::field::host, url.host);
    req.set(http::field::user_agent, "synergai");
    if (!token.empty()) req.set(http::field::authorization, "Bearer " + token);
    if (!body.empty() || method == "POST") {
      req.set(http::field::content_type, content_type);
      req.body() = body;
    }
    req.keep_alive(true);
    req.prepare_payload();
    stream->expires_after(timeout);
    http::write(*stream, req);
    http::response_parser<http::string_body> parser;
    parser.body_limit(256u << 20);
    http::read(*stream, buffer, parser);
    auto& res = parser.get();
    HttpResult r{static_cast<int>(res.result_int()), std::move(res.body()),
                 std::string{res[http::field::content_type]}};
    if (!res.keep_alive()) stream.reset();
    return r;
  }
};

HttpClient::HttpClient(Url url, std::string token, std::chrono::milliseconds timeout)
    : impl_{std::make_unique<Impl>()} {
  impl_->url = std::move(url);
  impl_->token = std::move(token);
  impl_->timeout = timeout;
}

HttpClient::~HttpClient() = default;

HttpResult HttpClient::request(const std::string& method, const std::string& target, const std::string& body,
                               const std::string& content_type) {
  bool reused = impl_->stream.has_value();
  try {
    return impl_->once(method, target, body, content_type);
  } catch (const std::exception& first) {
    impl_->stream.reset();
    // A kept-alive connection the server closed meanwhile: one fresh try.
    if (!reused) throw RuntimeError{fmt::format("http://{}:{}{}: {}", impl_->url.host, impl_->url.port, target, first.what())};
  }
  try {
    return impl_->once(method, target, body, content_type);
  } catch (const std::exception& e) {
    impl_->stream.reset();
    throw RuntimeError{fmt::format("http://{}:{}{}: {}", impl_->url.host, impl_->url.port, target, e.what())};
  }
}

}  // namespace synergai::service
