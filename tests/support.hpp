// Helpers for tests: paths into the source tree and running the program.
#pragma once

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <unistd.h>

namespace synergai::test {

inline std::filesystem::path source_path(const std::string& relative) {
  return std::filesystem::path{SYNERGAI_SOURCE_DIR} / relative;
}

// An empty folder of the system's temporary folder, unique to this test
// process and `name`; whatever was there before is removed.
inline std::filesystem::path fresh_dir(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() / ("synergai-test-" + name + "-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
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
