// Shared plumbing of the `synergai` subcommands: each command file exposes one
// `add_<name>_command(CLI::App&)` that registers its options and its action.
// Actions return an exit code; they throw InputError for bad input (exit 2)
// and anything else for runtime failures (exit 1), which main() reports.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>

namespace synergai::app {

using Action = std::function<int()>;

// Registers `action` to run when `sub` was chosen; main() runs at most one.
void set_action(CLI::App* sub, Action action);
Action chosen_action();

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
