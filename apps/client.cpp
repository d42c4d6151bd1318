// The service's client subcommands, for operators: `synergai submit`, `jobs`,
// `get job ID`, `cancel ID` and `workers` talk to a running `synergai serve`
// over HTTP. Each prints a table, or with `-o json|yaml` the API's objects
// (kubectl's convention). `jobs` follows the API's pages to the end. The
// bearer token comes from --token-file or the SYNERGAI_TOKEN environment
// variable.
#include "apps/cli.hpp"
#include "service/http_client.hpp"
#include "support/errors.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <optional>

namespace synergai::app {
namespace {

using nlohmann::json;

struct ClientArgs {
  std::string server = "http://127.0.0.1:8080";
  std::string token_file;
  std::string output = "table";
  bool json_output = false;  // --json, the older spelling of -o json
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

std::string output_of(const ClientArgs& a) { return a.json_output ? "json" : a.output; }

// A job id as a path segment: ids are [A-Za-z0-9._-], anything else is
// percent-encoded so that a wrong id is a 404, never another resource.
std::string path_segment(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.') out += static_cast<char>(c);
    else out += fmt::format("%{:02X}", c);
  }
  return out;
}

struct Answer {
  int status = 0;
  json body;
};

// Sends the request. The service not answering is a runtime failure naming
// its address; a 4xx answer is an InputError (exit 2) with the server's
// message, 5xx a runtime failure. `what` names the object for messages.
Answer call(const ClientArgs& a, const std::string& method, const std::string& target, const std::string& what,
            const std::string& body = {}) {
  auto url = service::parse_url(a.server);
  service::HttpClient client{url, read_token(a)};
  service::HttpResult r;
  try {
    r = client.request(method, target, body);
  } catch (const RuntimeError& e) {
    throw RuntimeError{fmt::format("cannot reach the service at http://{}:{} (--server): {}", url.host, url.port,
                                   e.what())};
  }
  json j = json::parse(r.body, nullptr, false);
  if (r.status >= 200 && r.status < 300) {
    if (j.is_discarded()) throw RuntimeError{fmt::format("{} {}: the answer is not JSON", method, target)};
    return {r.status, std::move(j)};
  }
  std::string message = j.is_object() && j.contains("error") && j["error"].is_string() ? j["error"].get<std::string>()
                                                                                         : r.body;
  if (r.status == 404 && !what.empty()) throw InputError{fmt::format("{}: not found (HTTP 404)", what)};
  if (r.status == 401) throw InputError{fmt::format("{}: the token was refused (HTTP 401): --token-file or "
                                                    "$SYNERGAI_TOKEN", a.server)};
  std::string field = j.is_object() && j.contains("field") && j["field"].is_string()
                          ? fmt::format(" (field {})", j["field"].get<std::string>())
                          : "";
  auto text = fmt::format("{}: HTTP {}: {}{}", what.empty() ? method + " " + target : what, r.status, message, field);
  if (r.status >= 400 && r.status < 500) throw InputError{text};
  throw RuntimeError{text};
}

// YAML for a JSON value. Strings a YAML reader would take for another type
// (numbers, booleans, null) are quoted; numbers keep JSON's shortest form.
bool looks_typed(const std::string& s) {
  if (s.empty()) return true;
  std::string lower;
  for (char c : s) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const char* word : {"true", "false", "yes", "no", "on", "off", "y", "n", "null", "~", ".inf", "-.inf", ".nan"})
    if (lower == word) return true;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isdigit(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '+' || c == 'e' || c == 'E';
  });
}

void emit_yaml(YAML::Emitter& out, const json& v) {
  if (v.is_object()) {
    out << YAML::BeginMap;
    for (const auto& [key, value] : v.items()) {
      out << YAML::Key << key << YAML::Value;
      emit_yaml(out, value);
    }
    out << YAML::EndMap;
  } else if (v.is_array()) {
    out << YAML::BeginSeq;
    for (const auto& value : v) emit_yaml(out, value);
    out << YAML::EndSeq;
  } else if (v.is_string()) {
    const auto& s = v.get_ref<const std::string&>();
    if (looks_typed(s)) out << YAML::DoubleQuoted;
    out << s;
  } else if (v.is_null()) {
    out << YAML::Null;
  } else {
    out << v.dump();  // numbers and booleans as JSON writes them
  }
}

std::string to_yaml(const json& v) {
  YAML::Emitter out;
  emit_yaml(out, v);
  return std::string{out.c_str()} + "\n";
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

// Prints `value` as asked; `table` prints the table form.
template <class Table>
void print(const ClientArgs& a, const json& value, Table table) {
  auto o = output_of(a);
  if (o == "json") fmt::print("{}\n", value.dump(2));
  else if (o == "yaml") fmt::print("{}", to_yaml(value));
  else table();
}

void add_common(CLI::App* cmd, ClientArgs& a) {
  cmd->add_option("--server", a.server, "Service URL")->capture_default_str();
  cmd->add_option("--token-file", a.token_file, "File holding the bearer token (default: $SYNERGAI_TOKEN)");
  cmd->add_option("-o,--output", a.output, "Output format: table, or the API's objects as json or yaml")
      ->check(CLI::IsMember({"table", "json", "yaml"}))
      ->capture_default_str();
  cmd->add_flag("--json", a.json_output, "Same as -o json");
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
    cmd->footer(
        "Examples:\n"
        "  synergai submit --engine tf-resnet50 --queries 500 --qos 60\n"
        "  synergai submit --engine tf-resnet50 --queries 500 --qos 60 --id nightly-1 -o json\n"
        "  synergai submit --server http://10.0.0.5:8080 --token-file token --engine tf-resnet50 --queries 10 --qos 5\n"
        "A repeated --id with the same job is answered with the job as it is now.");
    set_action(cmd, [] {
      json body{{"engine", engine}, {"queries", queries}, {"qos_seconds", qos}};
      if (!id.empty()) body["id"] = id;
      auto a = call(common, "POST", "/v1/jobs", "submit", body.dump());
      // The table form is one line, "ID STATE": scripts print it after their own text.
      print(common, a.body, [&] { fmt::print("{} {}\n", cell(a.body["id"]), cell(a.body["state"])); });
      return exit_ok;
    });
  }
  {
    auto* cmd = app.add_subcommand("jobs", "List the jobs of a running service, in submission order");
    static std::string state;
    static std::size_t limit = 0;
    static int chunk = 500;
    add_common(cmd, common);
    cmd->add_option("--state", state, "Only jobs in this state")
        ->check(CLI::IsMember({"queued", "placed", "starting", "running", "succeeded", "failed", "cancelled"}));
    cmd->add_option("--limit", limit, "At most this many jobs (0: all)")->capture_default_str();
    cmd->add_option("--chunk-size", chunk, "Jobs asked for per request; the list follows the pages to the end")
        ->check(CLI::Range(1, 10000))
        ->capture_default_str();
    cmd->footer(
        "Examples:\n"
        "  synergai jobs\n"
        "  synergai jobs --state queued -o yaml\n"
        "  synergai jobs --state failed --limit 20 -o json | jq '.jobs[].message'\n"
        "With -o json|yaml the output is {jobs: [...], total: N}, every page's jobs together.");
    set_action(cmd, [] {
      json jobs = json::array();
      json total = 0;
      std::optional<std::string> token;
      for (;;) {
        std::size_t want = static_cast<std::size_t>(chunk);
        if (limit > 0) want = std::min(want, limit - jobs.size());
        auto target = fmt::format("/v1/jobs?limit={}", want);
        if (!state.empty()) target += "&state=" + state;
        if (token) target += "&continue=" + *token;
        auto page = call(common, "GET", target, "jobs").body;
        for (auto& j : page["jobs"]) jobs.push_back(std::move(j));
        total = page["total"];
        if (!page.contains("continue") || !page["continue"].is_string() || (limit > 0 && jobs.size() >= limit)) break;
        token = page["continue"].get<std::string>();
      }
      json out{{"jobs", jobs}, {"total", total}};
      print(common, out, [&] {
        print_jobs(jobs);
        fmt::print("{} of {} jobs\n", jobs.size(), total.dump());
      });
      return exit_ok;
    });
  }
  {
    auto* get = app.add_subcommand("get", "Show one object of a running service");
    get->require_subcommand(1);
    auto* cmd = get->add_subcommand("job", "Show one job");
    static std::string id;
    add_common(cmd, common);
    cmd->add_option("ID", id, "Job id")->required();
    cmd->footer(
        "Examples:\n"
        "  synergai get job nightly-1\n"
        "  synergai get job nightly-1 -o yaml\n"
        "An unknown job exits 2 with \"job ID: not found\".");
    set_action(cmd, [] {
      auto a = call(common, "GET", "/v1/jobs/" + path_segment(id), fmt::format("job {}", id));
      print(common, a.body, [&] {
        print_jobs(json::array({a.body}));
        if (a.body.contains("message") && a.body["message"].is_string() && !a.body["message"].get<std::string>().empty())
          fmt::print("message: {}\n", a.body["message"].get<std::string>());
      });
      return exit_ok;
    });
  }
  {
    auto* cmd = app.add_subcommand("cancel", "Cancel a job of a running service");
    static std::string id;
    add_common(cmd, common);
    cmd->add_option("ID", id, "Job id")->required();
    cmd->footer(
        "Examples:\n"
        "  synergai cancel nightly-1\n"
        "  synergai cancel nightly-1 -o json\n"
        "A queued job leaves the queue; a placed or running one is stopped at the executor. Cancelling a\n"
        "cancelled job succeeds; a job that already succeeded or failed exits 2, an unknown one exits 2.");
    set_action(cmd, [] {
      auto a = call(common, "DELETE", "/v1/jobs/" + path_segment(id), fmt::format("job {}", id));
      print(common, a.body, [&] {
        if (a.status == 200) fmt::print("job {} was already cancelled\n", id);
        else fmt::print("job {} is being cancelled (it was {})\n", id, cell(a.body["state"]));
      });
      return exit_ok;
    });
  }
  {
    auto* cmd = app.add_subcommand("workers", "Show the worker nodes of a running service");
    add_common(cmd, common);
    cmd->footer(
        "Examples:\n"
        "  synergai workers\n"
        "  synergai workers -o yaml");
    set_action(cmd, [] {
      auto j = call(common, "GET", "/v1/workers", "workers").body;
      print(common, j, [&] {
        fmt::print("{:<10} {:<9} {:<28} {:>5}  {}\n", "NODE", "STATE", "JOB", "MODE", "LAST TRANSITION");
        for (const auto& w : j["workers"]) {
          std::string last = "-";
          if (!w["last_transition"].is_null())
            last = fmt::format("{} {} at {:.3f}", w["last_transition"]["job"].get<std::string>(),
                               w["last_transition"]["to"].get<std::string>(),
                               w["last_transition"]["at"].get<double>());
          fmt::print("{:<10} {:<9} {:<28} {:>5}  {}\n", cell(w["node"]), cell(w["state"]), cell(w["job"]),
                     cell(w["power_mode"]), last);
        }
      });
      return exit_ok;
    });
  }
}

}  // namespace synergai::app
