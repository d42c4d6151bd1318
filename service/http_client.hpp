// A small blocking HTTP/1.1 client for the service's API (Boost.Beast): the
// `submit`, `jobs` and `workers` subcommands, the tests and the load
// benchmark use it. One connection, kept alive across requests, reconnected
// when the server closed it.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

namespace synergai::service {

struct Url {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;
};

// "http://HOST:PORT" (a trailing slash allowed); throws InputError.
Url parse_url(const std::string& text);

struct HttpResult {
  int status = 0;
  std::string body;
  std::string content_type;
};

class HttpClient {
 public:
  explicit HttpClient(Url url, std::string token = {}, std::chrono::milliseconds timeout = std::chrono::seconds{30});
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Throws RuntimeError when the server cannot be reached or answers nothing.
  HttpResult request(const std::string& method, const std::string& target, const std::string& body = {},
                     const std::string& content_type = "application/json");

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace synergai::service
