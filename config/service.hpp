// The service file (`synergai serve --config FILE`): where the service
// listens, how it schedules, on which testbed and dictionary, which executor
// runs the jobs, where the journal lives and how clients authenticate
// (docs/operations.md; the example is config/service.yaml).
#pragma once

#include "config/document.hpp"
#include "config/learned_profiles.hpp"
#include "messages/time.hpp"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <set>
#include <string>

namespace synergai::config {

struct ListenAddress {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;  // 0: an ephemeral port
};

// "HOST:PORT" (IPv4 address or name, port 0-65535); nullopt when malformed.
std::optional<ListenAddress> parse_listen_address(std::string_view text);

struct SimulatedExecutorSettings {
  double speedup = 1;         // jobs and mode switches run this many times faster than modelled
  double noise_sigma = 0.05;  // log-normal sigma of execution-time noise
  std::uint64_t seed = 1;
};

struct KubernetesExecutorSettings {
  std::optional<std::filesystem::path> kubeconfig;  // empty: in-cluster credentials
  std::string context;                              // kubeconfig context; empty: current
  std::string namespace_name;                       // empty: the credentials' namespace
  std::optional<int> job_ttl_seconds = 600;         // ttlSecondsAfterFinished; empty: Jobs are kept
  double api_qps = 5;
  int api_burst = 10;
};

// The local executor: each job a `synergai engine run` child pinned to its
// node's cpu_set (docs/local.md).
struct LocalExecutorSettings {
  std::optional<std::filesystem::path> models;  // folder of relative model files; empty: the default (docs/local.md)
  double job_timeout_s = 30;                     // a job's time-limit floor (at least 3x its estimate)
  // Without the dictionary file, `synergai serve` runs a short profiling
  // campaign of the testbed on this machine and writes it there.
  bool profile_if_missing = false;
  int profile_queries = 10;  // measured queries per campaign run
};

enum class ExecutorKind { simulated, kubernetes, local };

// How long the service remembers finished jobs (its counterpart of a Job's
// ttlSecondsAfterFinished): a finished job is forgotten — from the table, the
// API and the compacted journal — once it is older than `finished_ttl` or
// more than `max_finished_jobs` newer finished jobs exist. Counters in
// /metrics keep their totals.
struct RetentionSettings {
  std::size_t max_finished_jobs = 10000;
  Seconds finished_ttl{24 * 3600};
};

// Learned profiles (config/learned_profiles.hpp): off by default. The store
// is loaded at start from `path` (a missing file: nothing learned yet) and
// written again after every run that changed it.
struct LearningServiceSettings {
  bool enabled = false;
  std::filesystem::path path;  // empty: learned-profiles.json in the journal's folder
  LearningSettings settings;
};

struct ServiceConfig {
  std::string name;
  ListenAddress listen;
  // A second listener serving only /healthz, /readyz and /metrics (kubelet
  // probes and Prometheus apart from the API); empty: none.
  std::optional<ListenAddress> listen_probes;
  std::string policy = "synergai";
  Seconds tick{1};
  Seconds reservation_ttl{5};
  std::filesystem::path testbed;     // resolved against the service file's folder
  std::filesystem::path dictionary;  // likewise
  ExecutorKind executor = ExecutorKind::simulated;
  SimulatedExecutorSettings simulated;
  KubernetesExecutorSettings kubernetes;
  LocalExecutorSettings local;
  std::filesystem::path journal;                   // relative: to the working directory
  std::uint64_t journal_compact_bytes = 64 << 20;  // rewrite the journal once it grows past this
  bool accept_journal_damage = false;  // start on a journal damaged before its end, dropping those lines
  std::optional<std::filesystem::path> token_file; // bearer token for /v1; empty: no authentication
  std::size_t max_body_bytes = 64 << 10;           // larger request bodies get 413
  int http_threads = 4;
  int max_connections = 1024;  // open HTTP connections; past it, the one idle longest is closed
  RetentionSettings retention;
  LearningServiceSettings learning;
};

// Where the learned profiles live: `learning.path`, else beside the journal.
std::filesystem::path learned_profiles_path(const ServiceConfig& config);

// `known_policies` is the registry's list of names. Throws ValidationError
// listing every problem.
ServiceConfig read_service_config(const Document& doc, const std::filesystem::path& base_dir,
                                  const std::set<std::string>& known_policies);
ServiceConfig load_service_config(const std::filesystem::path& path, const std::set<std::string>& known_policies);

std::string_view to_string(ExecutorKind k);

}  // namespace synergai::config
