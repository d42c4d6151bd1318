// Helpers for the service tests: temporary folders, the real `synergai serve`
// as a child process, readiness and "every job terminal" polling over HTTP.
#pragma once

#include "service/http_client.hpp"
#include "tests/support.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <netinet/in.h>
#include <string>
#include <sys/socket.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace synergai::test {

using namespace std::chrono_literals;

inline nlohmann::json body_of(const service::HttpResult& r) { return nlohmann::json::parse(r.body); }

inline bool is_terminal_state(const nlohmann::json& job) {
  auto s = job["state"].get<std::string>();
  return s == "succeeded" || s == "failed" || s == "cancelled";
}

// Polls until every job is terminal (or the deadline passes); returns the list.
inline nlohmann::json wait_all_terminal(service::HttpClient& c, std::size_t expected, std::chrono::seconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  nlohmann::json list;
  for (;;) {
    list = body_of(c.request("GET", "/v1/jobs?limit=10000"));
    std::size_t done = 0;
    for (const auto& j : list["jobs"]) done += is_terminal_state(j);
    if ((done == expected && list["total"] == expected) || std::chrono::steady_clock::now() > deadline) return list;
    std::this_thread::sleep_for(50ms);
  }
}

inline std::uint16_t free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t n = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &n);
  ::close(fd);
  return ntohs(a.sin_port);
}

// The real program as a child process; killed (SIGKILL) if still running at
// the end. One that ended by itself on a signal (a crash, a sanitizer's abort)
// before that prints the end of its log: the test only sees refused connections.
struct Child {
  pid_t pid = -1;
  std::filesystem::path log_path;
  Child(const std::vector<std::string>& args, const std::filesystem::path& log) : log_path{log} {
    std::fflush(nullptr);  // or the child would write out buffered output a second time
    pid = ::fork();
    if (pid == 0) {
      std::FILE* out = std::freopen(log.c_str(), "a", stdout);
      (void)out;
      ::dup2(::fileno(stdout), 2);
      std::vector<char*> argv;
      std::string program = SYNERGAI_PROGRAM;
      argv.push_back(program.data());
      std::vector<std::string> copy = args;
      for (auto& a : copy) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(program.c_str(), argv.data());
      ::_exit(127);
    }
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  // Exit status after `signal`, or -1 if it did not end within the limit.
  int stop(int signal, std::chrono::seconds limit = 10s) {
    if (pid <= 0) return -1;
    ::kill(pid, signal);
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (::waitpid(pid, &status, WNOHANG) == pid) {
        pid = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      std::this_thread::sleep_for(10ms);
    }
    return -1;
  }
  ~Child() {
    if (pid <= 0) return;
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      if (WIFSIGNALED(status)) {
        auto text = read_text(log_path);
        std::fprintf(stderr, "%s ended on signal %d; the end of its log:\n%s\n", SYNERGAI_PROGRAM, WTERMSIG(status),
                     text.substr(text.size() > 4000 ? text.size() - 4000 : 0).c_str());
      }
      return;
    }
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
  }
};

// The status of GET `target`, or 0 while nothing answers.
inline int probe(const service::Url& url, const std::string& target) {
  try {
    service::HttpClient c{url, {}, 1s};
    return c.request("GET", target).status;
  } catch (const std::exception&) {
    return 0;
  }
}

// Polls `pred` every 20 ms for at most `limit`.
inline bool poll_until(const std::function<bool()>& pred, std::chrono::milliseconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return pred();
}

inline bool wait_ready(const service::Url& url, std::chrono::seconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (probe(url, "/readyz") == 200) return true;
    std::this_thread::sleep_for(50ms);
  }
  return false;
}

}  // namespace synergai::test
