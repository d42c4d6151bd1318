// Child processes without a shell: fork + execv of an argument vector, an
// optional CPU affinity (sched_setaffinity) set in the child before exec, its
// standard output and the end of its standard error collected, a time limit
// after which it is killed (SIGKILL). A child dies with its parent
// (PR_SET_PDEATHSIG), so an interrupted program leaves nothing holding a CPU.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <sys/types.h>

namespace synergai {

struct ChildSpec {
  std::vector<std::string> argv;  // argv[0] is the program's path (no PATH lookup)
  std::vector<int> cpus;          // affinity; empty: inherited
};

struct ChildExit {
  bool exited = false;     // normal exit (then `code`), else killed by `signal`
  int code = 0;
  int signal = 0;
  bool timed_out = false;  // killed because it ran past its time limit
  bool killed = false;     // killed by kill() (a cancel)
  std::string out;         // its standard output
  std::string err;         // the end of its standard error
  double wall_s = 0;
};

// One started child. wait() blocks (run it on a thread of its own); kill() may
// be called from any thread and never signals a process that was reaped.
class Child {
 public:
  static std::shared_ptr<Child> start(const ChildSpec& spec);  // throws RuntimeError
  ~Child();
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  ChildExit wait(std::chrono::duration<double> time_limit);
  void kill();
  pid_t pid() const { return pid_; }

 private:
  Child() = default;
  pid_t pid_ = -1;
  int out_fd_ = -1;
  int err_fd_ = -1;
  std::mutex mutex_;
  bool reaped_ = false;
  bool killed_ = false;
};

}  // namespace synergai
