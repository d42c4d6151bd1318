#include "support/process.hpp"

#include "support/errors.hpp"

#include <fmt/format.h>

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace synergai {
namespace {

constexpr std::size_t max_out = 1 << 20;  // a result is a few hundred bytes
constexpr std::size_t max_err = 4096;     // the end of stderr, for failure reasons

void write_all(int fd, const char* s) {
  auto n = std::strlen(s);
  while (n > 0) {
    auto w = ::write(fd, s, n);
    if (w <= 0) return;
    s += w;
    n -= static_cast<std::size_t>(w);
  }
}

void close_fd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

}  // namespace

std::shared_ptr<Child> Child::start(const ChildSpec& spec) {
  if (spec.argv.empty()) throw RuntimeError{"child process: empty command"};
  // Everything the child needs is prepared before fork: after it, the child
  // (a copy of a multi-threaded process) calls only async-signal-safe functions.
  std::vector<char*> argv;
  for (const auto& a : spec.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  cpu_set_t cpus;
  CPU_ZERO(&cpus);
  for (int c : spec.cpus) {
    if (c < 0 || c >= CPU_SETSIZE) throw RuntimeError{fmt::format("child process: no such CPU {}", c)};
    CPU_SET(c, &cpus);
  }
  int out[2], err[2];
  if (::pipe2(out, O_CLOEXEC) != 0) throw RuntimeError{fmt::format("pipe: {}", std::strerror(errno))};
  if (::pipe2(err, O_CLOEXEC) != 0) {
    ::close(out[0]);
    ::close(out[1]);
    throw RuntimeError{fmt::format("pipe: {}", std::strerror(errno))};
  }
  int null = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  const bool pin = !spec.cpus.empty();
  const pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid == 0) {
    // The child dies with its parent: an orphaned engine would hold its CPUs.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(125);
    if (null >= 0) ::dup2(null, 0);
    ::dup2(out[1], 1);
    ::dup2(err[1], 2);
    if (pin && ::sched_setaffinity(0, sizeof cpus, &cpus) != 0) {
      write_all(2, "synergai: sched_setaffinity failed: the node's cpu_set names CPUs this machine does not have\n");
      ::_exit(126);
    }
    ::execv(argv[0], argv.data());
    write_all(2, "synergai: cannot execute ");
    write_all(2, argv[0]);
    write_all(2, "\n");
    ::_exit(127);
  }
  int fork_errno = errno;
  ::close(out[1]);
  ::close(err[1]);
  if (null >= 0) ::close(null);
  if (pid < 0) {
    ::close(out[0]);
    ::close(err[0]);
    throw RuntimeError{fmt::format("fork: {}", std::strerror(fork_errno))};
  }
  auto child = std::shared_ptr<Child>{new Child};
  child->pid_ = pid;
  child->out_fd_ = out[0];
  child->err_fd_ = err[0];
  return child;
}

Child::~Child() {
  close_fd(out_fd_);
  close_fd(err_fd_);
  std::lock_guard lock{mutex_};
  if (!reaped_ && pid_ > 0) {  // never waited for: do not leave it running or a zombie
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
}

void Child::kill() {
  std::lock_guard lock{mutex_};
  if (reaped_) return;
  killed_ = true;
  ::kill(pid_, SIGKILL);
}

ChildExit Child::wait(std::chrono::duration<double> time_limit) {
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  const auto deadline = start + std::chrono::duration_cast<Clock::duration>(time_limit);
  ChildExit e;
  char buf[8192];
  while (out_fd_ >= 0 || err_fd_ >= 0) {
    pollfd fds[2];
    nfds_t n = 0;
    if (out_fd_ >= 0) fds[n++] = {out_fd_, POLLIN, 0};
    if (err_fd_ >= 0) fds[n++] = {err_fd_, POLLIN, 0};
    int wait_ms = -1;
    if (!e.timed_out) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
      wait_ms = static_cast<int>(std::clamp<long long>(left, 0, 60'000));
    }
    int ready = ::poll(fds, n, wait_ms);
    if (ready < 0 && errno != EINTR) break;
    if (ready <= 0) {
      if (!e.timed_out && Clock::now() >= deadline) {
        e.timed_out = true;
        std::lock_guard lock{mutex_};
        ::kill(pid_, SIGKILL);  // not reaped yet: only this thread reaps
      }
      continue;
    }
    for (nfds_t i = 0; i < n; ++i) {
      if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      auto got = ::read(fds[i].fd, buf, sizeof buf);
      if (got < 0 && errno == EINTR) continue;
      bool is_out = fds[i].fd == out_fd_;
      if (got <= 0) {
        close_fd(is_out ? out_fd_ : err_fd_);
        continue;
      }
      auto& into = is_out ? e.out : e.err;
      into.append(buf, static_cast<std::size_t>(got));
      if (is_out && into.size() > max_out) into.resize(max_out);
      if (!is_out && into.size() > 2 * max_err) into.erase(0, into.size() - max_err);
    }
  }
  if (e.err.size() > max_err) e.err.erase(0, e.err.size() - max_err);
  // Wait for the exit without reaping, so that kill() can never hit a reused pid.
  siginfo_t info{};
  while (::waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOWAIT) != 0 && errno == EINTR) {
  }
  int status = 0;
  {
    std::lock_guard lock{mutex_};
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    reaped_ = true;
    e.killed = killed_;
  }
  e.exited = WIFEXITED(status);
  e.code = e.exited ? WEXITSTATUS(status) : 0;
  e.signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
  e.wall_s = std::chrono::duration<double>(Clock::now() - start).count();
  return e;
}

}  // namespace synergai
