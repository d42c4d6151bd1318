// The service's client subcommands: `synergai submit`, `synergai jobs` and
// `synergai workers` talk to a running `synergai serve` over HTTP. The bearer
// token comes from --token-file or the SYNERGAI_TOKEN environment variable.
#include "apps/cli.hpp"
#include "service/http_client.hpp"
#include "support/errors.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <fstream>

namespace synergai::app {
namespace {

using nlohmann::json;

struct ClientArgs {
  std::string server = "http://127.0.0.1:8080";
  std::string token_file;
  bool json_output = false;
};

std::string read_token(const ClientArgs& a) {
  std::string token;
  if (!a.token_file.empty()) {
    std::ifstream in{a.token_file};
    if (!in) throw InputError{fmt::format("--token-file {}: cannot read it", a.token_file)};
    token.assign(std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{});
  } else if (const char* env = std::getenv("SYNERGAI_TOKEN")) {
    token = env;
  }
  while (!token.empty() && std::isspace(static_cast<unsigned char>(token.back()))) token.pop_back();
  return token;
}

// Sends the request; a non-2xx answer becomes an error with the server's message.
json call(const ClientArgs& a, const std::string& method, const std::string& target, const std::string& body = {}) {
  service::HttpClient client{service::parse_url(a.server), read_token(a)};
  auto r = client.request(method, target, body);
  json j = json::parse(r.body, nullptr, false);
  if (r.status < 200 || r.status >= 300) {
    std::string message = j.is_object() && j.contains("error") ? j["error"].get<std::string>() : r.body;
    std::string field = j.is_object() && j.contains("field") && j["field"].is_string()
                            ? fmt::format(" (field {})", j["field"].get<std::string>())
                            : "";
    auto text = fmt::format("{} {}: HTTP {}: {}{}", method, target, r.status, message, field);
    if (r.status >= 400 && r.status < 500) throw InputError{text};
    throw RuntimeError{text};
  }
  return j;
}

std::string cell(const json& v, int precision = 2) {
  if (v.is_null()) return "-";
  if (v.is_number_float()) return fmt::format("{:.{}f}", v.get<double>(), precision);
  if (v.is_string()) return v.get<std::string>();
  return v.dump();
}

void print_jobs(const json& jobs) {
  fmt::print("{:<28} {:<22} {:>8} {:>8} {:<10} {:<8} {:>9} {:>9}\n", "ID", "ENGINE", "QUERIES", "QOS_S", "STATE",
             "NODE", "WAIT_S", "E2E_S");
  for (const auto& j : jobs)
    fmt::print("{:<28} {:<22} {:>8} {:>8} {:<10} {:<8} {:>9} {:>9}\n", cell(j["id"]), cell(j["engine"]),
               cell(j["queries"]), cell(j["qos_seconds"], 1), cell(j["state"]), cell(j["node"]),
               cell(j["waiting_seconds"]), cell(j["end_to_end_seconds"]));
}

void add_common(CLI::App* cmd, ClientArgs& a) {
  cmd->add_option("--server", a.server, "Service URL")->capture_default_str();
  cmd->add_option("--token-file", a.token_file, "File holding the bearer token (default: $SYNERGAI_TOKEN)");
  cmd->add_flag("--json", a.json_output, "Print the server's JSON answer");
}

}  // namespace

void add_client_commands(CLI::App& app) {
  static ClientArgs common;
  {
    auto* cmd = app.add_subcommand("submit", "Submit an inference job to a running service");
    static std::string engine, id;
    static int queries = 0;
    static double qos = 0;
    add_common(cmd, common);
    cmd->add_option("--engine", engine, "Engine id")->required();
    cmd->add_option("--queries", queries, "Number of queries")->required();
    cmd->add_option("--qos", qos, "QoS target: seconds from submission to completion")->required();
    cmd->add_option("--id", id, "Job id (default: the service makes one)");
    set_action(cmd, [] {
      json body{{"engine", engine}, {"queries", queries}, {"qos_seconds", qos}};
      if (!id.empty()) body["id"] = id;
      auto j = call(common, "POST", "/v1/jobs", body.dump());
      if (common.json_output) fmt::print("{}\n", j.dump(2));
      else fmt::print("{} {}\n", j["id"].get<std::string>(), j["state"].get<std::string>());
      return exit_ok;
    });
  }
  {
    auto* cmd = app.add_subcommand("jobs", "List the jobs of a running service");
    static std::string state;
    static int limit = 1000;
    add_common(cmd, common);
    cmd->add_option("--state", state, "Only jobs in this state")
        ->check(CLI::IsMember({"queued", "placed", "starting", "running", "succeeded", "failed", "cancelled"}));
    cmd->add_option("--limit", limit, "At most this many jobs")->check(CLI::Range(1, 10000))->capture_default_str();
    set_action(cmd, [] {
      auto target = fmt::format("/v1/jobs?limit={}", limit);
      if (!state.empty()) target += "&state=" + state;
      auto j = call(common, "GET", target);
      if (common.json_output) fmt::print("{}\n", j.dump(2));
      else {
        print_jobs(j["jobs"]);
        fmt::print("{} of {} jobs\n", j["jobs"].size(), j["total"].get<std::size_t>());
      }
      return exit_ok;
    });
  }
  {
    auto* cmd = app.add_subcommand("workers", "Show the worker nodes of a running service");
    add_common(cmd, common);
    set_action(cmd, [] {
      auto j = call(common, "GET", "/v1/workers");
      if (common.json_output) {
        fmt::print("{}\n", j.dump(2));
        return exit_ok;
      }
      fmt::print("{:<10} {:<9} {:<28} {:>5}  {}\n", "NODE", "STATE", "JOB", "MODE", "LAST TRANSITION");
      for (const auto& w : j["workers"]) {
        std::string last = "-";
        if (!w["last_transition"].is_null())
          last = fmt::format("{} {} at {:.3f}", w["last_transition"]["job"].get<std::string>(),
                             w["last_transition"]["to"].get<std::string>(), w["last_transition"]["at"].get<double>());
        fmt::print("{:<10} {:<9} {:<28} {:>5}  {}\n", cell(w["node"]), cell(w["state"]), cell(w["job"]),
                   cell(w["power_mode"]), last);
      }
      return exit_ok;
    });
  }
}

}  // namespace synergai::app
