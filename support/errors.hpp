// The two failure families the program distinguishes, and their exit codes:
// bad input (a file, a flag, a request) versus a failure while doing the work.
#pragma once

#include <stdexcept>
#include <string>

namespace synergai {

inline constexpr int exit_ok = 0;
inline constexpr int exit_runtime_failure = 1;
inline constexpr int exit_invalid_input = 2;

// Input the user can fix: a malformed file, an unknown name, a bad flag.
class InputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Something went wrong while doing valid work (I/O, a peer, an invariant).
class RuntimeError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace synergai
