// Helpers for tests: paths into the source tree and running the program.
#pragma once

#include <array>
#include <cstdio>
#include <filesystem>
#include <string>
#include <sys/wait.h>

namespace synergai::test {

inline std::filesystem::path source_path(const std::string& relative) {
  return std::filesystem::path{SYNERGAI_SOURCE_DIR} / relative;
}

struct ProgramResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

// Runs `synergai ARGS` from the source tree and captures what it prints.
inline ProgramResult run_program(const std::string& args) {
  std::string cmd = "cd '" + std::string{SYNERGAI_SOURCE_DIR} + "' && '" + SYNERGAI_PROGRAM + "' " + args + " 2>&1";
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

}  // namespace synergai::test
