// synergai: the command-line program. Every subcommand lives in its own file
// under apps/; this file parses the command line, sets up logging and maps
// failures to exit codes (0 ok, 1 runtime failure, 2 invalid input or usage).
#include "apps/cli.hpp"
#include "support/errors.hpp"
#include "support/log.hpp"

#include <fmt/format.h>

#include <cstdio>
#include <exception>

namespace synergai::app {
namespace {
Action chosen;
}

void set_action(CLI::App* sub, Action action) {
  sub->callback([sub, action = std::move(action)] {
    (void)sub;
    chosen = action;
  });
}

Action chosen_action() { return chosen; }

}  // namespace synergai::app

int main(int argc, char** argv) {
  using namespace synergai;
  CLI::App app{"SynergAI: QoS-aware, architecture-aware scheduling of ML inference jobs on "
               "heterogeneous edge-to-cloud Kubernetes clusters"};
  app.set_version_flag("--version", std::string{"synergai "} + SYNERGAI_VERSION);
  app.require_subcommand(1);

  std::string level_name = "info";
  std::string format_name = "text";
  app.add_option("--log-level", level_name, "trace|debug|info|warn|error|off")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}))
      ->capture_default_str();
  app.add_option("--log-format", format_name,
                 "text|json (text: key=value fields after the message; JSON lines: time, level, component, "
                 "message and each field as a key)")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();

  app::add_validate_command(app);
  app::add_kube_command(app);
  app::add_dictionary_command(app);
  app::add_testbed_command(app);
  app::add_run_command(app);
  app::add_serve_command(app);
  app::add_client_commands(app);
  app::add_bench_service_command(app);
  app::add_bench_scheduler_command(app);
  app::add_profile_command(app);
  app::add_experiment_command(app);
  app::add_engine_command(app);
  app::add_agent_command(app);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? exit_ok : exit_invalid_input;
  }
  log::configure(*log::parse_level(level_name), *log::parse_format(format_name));

  try {
    return app::chosen_action()();
  } catch (const InputError& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return exit_invalid_input;
  } catch (const std::exception& e) {
    log::error("synergai", "{}", e.what());  // a person's answer: the error's own text
    return exit_runtime_failure;
  }
}
