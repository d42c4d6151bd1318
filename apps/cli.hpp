// Shared plumbing of the `synergai` subcommands: each command file exposes one
// `add_<name>_command(CLI::App&)` that registers its options and its action.
// Actions return an exit code; they throw InputError for bad input (exit 2)
// and anything else for runtime failures (exit 1), which main() reports.
#pragma once

#include <CLI/CLI.hpp>

#include <charconv>
#include <functional>
#include <string>

namespace synergai::app {

using Action = std::function<int()>;

// Registers `action` to run when `sub` was chosen; main() runs at most one.
void set_action(CLI::App* sub, Action action);
Action chosen_action();

// A number in (0, 1], e.g. --energy-margin.
inline CLI::Validator share_in_zero_to_one() {
  return CLI::Validator(
      [](std::string& text) {
        double v = 0;
        auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
        if (ec != std::errc{} || end != text.data() + text.size() || !(v > 0 && v <= 1))
          return "expected a number in (0, 1], got " + text;
        return std::string{};
      },
      "in (0, 1]");
}

void add_validate_command(CLI::App& app);
void add_kube_command(CLI::App& app);
void add_dictionary_command(CLI::App& app);
void add_testbed_command(CLI::App& app);
void add_run_command(CLI::App& app);
void add_serve_command(CLI::App& app);
void add_client_commands(CLI::App& app);  // submit, jobs, workers
void add_bench_service_command(CLI::App& app);
void add_bench_scheduler_command(CLI::App& app);
void add_profile_command(CLI::App& app);
void add_experiment_command(CLI::App& app);
void add_engine_command(CLI::App& app);
void add_agent_command(CLI::App& app);

}  // namespace synergai::app
