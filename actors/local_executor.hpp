// The local executor: runs each job as a child process of this machine,
// `synergai engine run` with the job's model, threads and query count, pinned
// with sched_setaffinity to the CPUs of the job's node (a testbed node's
// `cpu_set`), so one machine can be split into several workers.
//
// - No shell: fork + execv of an argument vector.
// - Blocking waits (pipe reads, waitpid) run on one thread per child, never on
//   CAF's scheduler threads; the thread reports the exit as a message.
// - A job that outlives its time limit is killed (SIGKILL) and fails; a child
//   that crashes, exits non-zero or prints no result fails with the reason;
//   cancel kills the child and the job ends cancelled. `started` and
//   `finished` go to the listener exactly once each.
// - Local nodes have no power modes: a mode request is answered with an error.
#pragma once

#include "actors/performance.hpp"
#include "actors/timeline.hpp"
#include "messages/execution.hpp"

#include <caf/actor_system.hpp>

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <sys/types.h>

namespace synergai {

// ---- child processes -------------------------------------------------------

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

  ChildExit wait(Seconds time_limit);
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

// A readable reason for a failed exit, or empty when the child succeeded.
std::string failure_reason(const ChildExit& e, Seconds time_limit);

// ---- the executor actor ----------------------------------------------------

struct LocalExecutorConfig {
  std::filesystem::path program;  // the synergai executable the children run
  std::filesystem::path models;   // where relative `model_file`s of engines are
  int warmup = 1;                 // engine warm-up queries per job
  // A job's time limit: max(floor, factor x its estimate from the dictionary).
  Seconds timeout_floor{30};
  double timeout_factor = 3;
  Timeline timeline;
};

// The engine command line of a run: program engine run --model ... (no shell).
std::vector<std::string> engine_argv(const LocalExecutorConfig& config, const std::filesystem::path& model,
                                     int threads, int queries);
// An engine's model file: absolute as given, else relative to `models`.
// Throws InputError if the engine names none.
std::filesystem::path model_path(const EngineSpec& engine, const std::filesystem::path& models);
// Where `synergai` expects the generated models: SYNERGAI_MODELS if set, else
// <directory of the running executable>/../models (the build tree's models/).
std::filesystem::path default_models_dir();
std::filesystem::path self_executable();

using child_atom = caf::atom_constant<caf::atom("childexit")>;

using local_executor_actor = executor_actor::extend<caf::reacts_to<child_atom, std::string, ChildExit>>;

struct LocalExecutorState {
  struct Running {
    execution_listener listener;
    std::shared_ptr<Child> child;
    std::thread waiter;
    Seconds limit{};
    bool cancelled = false;
  };
  LocalExecutorConfig config;
  std::shared_ptr<const Performance> performance;
  std::map<std::string, Running> running;
  ~LocalExecutorState();  // kills what still runs and joins the waiters
  static inline const char* name = "local-executor";
};

local_executor_actor::behavior_type local_executor(local_executor_actor::stateful_pointer<LocalExecutorState> self,
                                                   LocalExecutorConfig config,
                                                   std::shared_ptr<const Performance> performance);

}  // namespace synergai

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(synergai::ChildExit)
