// batch/v1 Job manifests for scheduled jobs. The bridge and `synergai kube
// manifest` build them with the same function, so a dry run shows exactly what
// would be sent to the API server.
#pragma once

#include "messages/engine.hpp"
#include "messages/exec_config.hpp"
#include "messages/job.hpp"
#include "messages/node.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace synergai::kube {

inline constexpr std::string_view managed_by_label = "app.kubernetes.io/managed-by";
inline constexpr std::string_view managed_by_value = "synergai";
inline constexpr std::string_view job_id_label = "synergai.io/job-id";
inline constexpr std::string_view job_id_annotation = "synergai.io/job-id";
inline constexpr std::string_view power_mode_annotation = "synergai.io/power-mode";
inline constexpr std::string_view hostname_label = "kubernetes.io/hostname";
// "app.kubernetes.io/managed-by=synergai": selects every Job the scheduler made.
std::string managed_selector();

struct ManifestOptions {
  std::string namespace_name = "default";
  std::optional<int> ttl_seconds_after_finished = 600;  // empty: Jobs are kept
  std::string container_name = "inference";
};

// The Job's name: "synergai-<id, lower-cased, reduced to [a-z0-9-]>-<8 hex of
// SHA-256(id)>", at most 63 characters, a DNS-1123 label. Deterministic, and
// distinct ids that sanitize alike still differ by the hash.
std::string job_name(std::string_view job_id);
// The job id as a label value (at most 63 of [A-Za-z0-9-_.], alphanumeric at
// both ends); the exact id is kept in an annotation.
std::string job_id_label_value(std::string_view job_id);
// The environment variable that carries the engine's thread knob:
// intra_op_num_threads -> INTRA_OP_NUM_THREADS.
std::string thread_env_name(std::string_view thread_knob);
// Fills {queries}, {threads} and {engine} in one argv item.
std::string fill_placeholders(std::string_view item, const JobSpec& job, const ExecConfig& config);

// The Job for `job` on `node` in `config`. Throws InputError when the inputs
// cannot make a valid Job (no image, threads < 1, a mode the node lacks).
nlohmann::json job_manifest(const JobSpec& job, const EngineSpec& engine, const NodeSpec& node,
                            const ExecConfig& config, const ManifestOptions& options = {});

// Whether `job` is one of ours made for `job_id` (labels and annotation).
bool is_our_job(const nlohmann::json& job, std::string_view job_id);

// Where and how an existing Job of ours runs, from the annotations its
// manifest carries (synergai.io/job-id, synergai.io/node, synergai.io/threads,
// synergai.io/power-mode). Empty when the Job lacks one of them.
struct JobPlacement {
  std::string job_id;
  std::string node;  // the testbed's name for it
  ExecConfig config;
  friend bool operator==(const JobPlacement&, const JobPlacement&) = default;
};
std::optional<JobPlacement> placement_of(const nlohmann::json& job);

}  // namespace synergai::kube
