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
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace synergai::test {

using namespace std::chrono_literals;

// Writes to files of this process fail with EFBIG past `bytes` (as on a full
// disk), until the scope ends.
struct FileSizeLimit {
  explicit FileSizeLimit(rlim_t bytes) {
    std::signal(SIGXFSZ, SIG_IGN);
    ::getrlimit(RLIMIT_FSIZE, &saved);
    rlimit l = saved;
    l.rlim_cur = bytes;
    ::setrlimit(RLIMIT_FSIZE, &l);
  }
  ~FileSizeLimit() { ::setrlimit(RLIMIT_FSIZE, &saved); }
  rlimit saved{};
};

inline nlohmann::json body_of(const service::HttpResult& r) { return nlohmann::json::parse(r.body); }

inline bool is_terminal_state(const nlohmann::json& job) {
  auto s = job["state"].get<std::string>();
  return s == "succeeded" || s == "failed" || s == "cancelled";
}

// Polls until the service lists `expected` jobs, every one terminal (the test
// fails, saying so, if not within `limit`); returns the last list.
inline nlohmann::json wait_all_terminal(service::HttpClient& c, std::size_t expected, std::chrono::seconds limit) {
  nlohmann::json list;
  eventually([&] {
    list = body_of(c.request("GET", "/v1/jobs?limit=10000"));
    std::size_t done = 0;
    for (const auto& j : list["jobs"]) done += is_terminal_state(j);
    return done == expected && list["total"] == expected;
  }, limit, fmt::format("the service to list {} jobs, all terminal", expected), 50ms);
  return list;
}

// `synergai serve ARGS` listening on a port the kernel picks as it binds
// (127.0.0.1:0), writing the ports it bound to `port_file` once it listens
// (--port-file; an old file is removed first). A port picked beforehand, by
// binding a socket and closing it, could be taken by another process before
// the service binds it.
inline std::vector<std::string> on_any_port(std::vector<std::string> args, const std::filesystem::path& port_file) {
  std::filesystem::remove(port_file);
  for (std::string a : {"--listen", "127.0.0.1:0", "--port-file"}) args.push_back(a);
  args.push_back(port_file.string());
  return args;
}

// A port a service started with on_any_port(ARGS, port_file) bound: "port"
// (the API) or "probes_port" (listen_probes). Waits up to `limit` for the file;
// 0, and the test fails saying so, if it is not there by then.
inline std::uint16_t bound_port(const std::filesystem::path& port_file, std::chrono::seconds limit = 30s,
                                const std::string& key = "port") {
  if (!eventually([&] { return std::filesystem::exists(port_file); }, limit,
                  "the service to write its ports to " + port_file.string()))
    return 0;
  return nlohmann::json::parse(read_text(port_file)).at(key).get<std::uint16_t>();
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

inline bool wait_ready(const service::Url& url, std::chrono::seconds limit) {
  return eventually([&] { return probe(url, "/readyz") == 200; }, limit,
                    fmt::format("GET http://{}:{}/readyz to answer 200", url.host, url.port), 50ms);
}

}  // namespace synergai::test
