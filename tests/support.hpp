// Helpers for tests: paths into the source tree, temporary folders, waiting
// for a condition, preconditions that skip, and running the program.
#pragma once

#include <boost/test/unit_test.hpp>

#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <sched.h>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace synergai::test {

inline std::filesystem::path source_path(const std::string& relative) {
  return std::filesystem::path{SYNERGAI_SOURCE_DIR} / relative;
}

// A new empty folder under the system's temporary folder (synergai-test-NAME-
// and six random characters), removed with everything in it when this ends.
// It reads as its path; a temporary one does not, or the folder would be gone
// before the path is used.
class TempDir {
 public:
  explicit TempDir(const std::string& name = "tmp") {
    auto pattern = (std::filesystem::temp_directory_path() / ("synergai-test-" + name + "-XXXXXX")).string();
    if (::mkdtemp(pattern.data()) == nullptr) BOOST_FAIL("mkdtemp " << pattern << " failed");
    path_ = pattern;
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const& { return path_; }
  operator const std::filesystem::path&() const& { return path_; }
  operator const std::filesystem::path&() const&& = delete;
  std::filesystem::path operator/(const std::filesystem::path& relative) const { return path_ / relative; }
  std::string string() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

// Polls `condition` every `step` until it holds. If `limit` passes first, the
// test fails (and goes on) saying what it waited for and for how long. Returns
// whether the condition held: BOOST_TEST_REQUIRE(eventually(...)) stops there.
inline bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds limit,
                       const std::string& what, std::chrono::milliseconds step = std::chrono::milliseconds{10}) {
  const auto start = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() - start < limit) {
    if (condition()) return true;
    std::this_thread::sleep_for(step);
  }
  if (condition()) return true;
  BOOST_ERROR("waited " << limit.count() << " ms for " << what << ", in vain");
  return false;
}

// The same, for at most 10 s.
inline bool eventually(const std::function<bool()>& condition, const std::string& what) {
  return eventually(condition, std::chrono::seconds{10}, what);
}

// A precondition of a test case or suite (boost::unit_test::precondition):
// where `why_not()` says something, the unit is skipped and prints
// "[skipped] UNIT: why" at every log level, on which CTest reports it skipped
// (SKIP_REGULAR_EXPRESSION, tests/CMakeLists.txt), never passed.
struct Requires {
  std::function<std::string()> why_not;
  boost::test_tools::assertion_result operator()(boost::unit_test::test_unit_id id) const {
    auto why = why_not();
    if (!why.empty())
      std::cout << "[skipped] " << boost::unit_test::framework::get(id, boost::unit_test::TUT_ANY).full_name() << ": "
                << why << std::endl;
    boost::test_tools::assertion_result r{why.empty()};
    r.message() << why;
    return r;
  }
};

inline boost::unit_test::decorator::precondition requires_that(std::function<std::string()> why_not) {
  return boost::unit_test::decorator::precondition{Requires{std::move(why_not)}};
}

// Skipped where `shell_probe` (a shell command) fails: "WHAT is missing".
inline boost::unit_test::decorator::precondition requires_command(std::string shell_probe, std::string what) {
  return requires_that([probe = std::move(shell_probe), what = std::move(what)]() -> std::string {
    if (std::system(("( " + probe + " ) >/dev/null 2>&1").c_str()) == 0) return "";
    return what + " is missing (scripts/install-deps installs it)";
  });
}

// Skipped where this process may run on fewer than `n` CPUs (the testbed pins
// children to CPUs 0..n-1).
inline boost::unit_test::decorator::precondition requires_cpus(int n) {
  return requires_that([n]() -> std::string {
    cpu_set_t mine;
    if (::sched_getaffinity(0, sizeof mine, &mine) != 0) return "sched_getaffinity failed";
    for (int c = 0; c < n; ++c)
      if (!CPU_ISSET(c, &mine))
        return "needs CPUs 0.." + std::to_string(n - 1) + "; this process may not run on CPU " + std::to_string(c);
    return "";
  });
}

// Skipped where `tool` is not on PATH.
inline boost::unit_test::decorator::precondition requires_tool(const std::string& tool, const std::string& package) {
  return requires_command("command -v " + tool, tool + " (Debian package " + package + ")");
}

inline std::string read_text(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct ProgramResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

// Runs a shell command line and captures what it prints (stdout and stderr).
inline ProgramResult run_shell(const std::string& command) {
  const std::string cmd = "( " + command + " ) 2>&1";
  ProgramResult r;
  FILE* pipe = ::popen(cmd.c_str(), "r");
  if (!pipe) return r;
  std::array<char, 4096> buf{};
  std::size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), pipe)) > 0) r.output.append(buf.data(), n);
  int status = ::pclose(pipe);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

// Runs `synergai ARGS` from the source tree and captures what it prints.
inline ProgramResult run_program(const std::string& args) {
  return run_shell("cd '" + std::string{SYNERGAI_SOURCE_DIR} + "' && '" + SYNERGAI_PROGRAM + "' " + args);
}

}  // namespace synergai::test
