// The discovery documents of the fake API server: what kubectl and client
// libraries read before their first real request to learn which groups,
// versions and resources the server has (legacy discovery: /api, /api/v1,
// /apis, /apis/batch, /apis/batch/v1), and the OpenAPI v3 documents kubectl
// reads to learn that the server validates fields itself (fieldValidation).
// They describe exactly what testing/fake_routes.cpp serves, no more: a
// resource or verb listed here is one its routes answer. Beside them, the
// field names of a Job, which the server checks for fieldValidation.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

namespace synergai::kube::fake {

// The document served at `path` (query string removed), or nothing when the
// path is not a discovery path. `server_address` is host:port as clients
// reach the server.
std::optional<nlohmann::json> discovery_document(const std::string& path, const std::string& server_address);

// The fields of `job` that a batch/v1 Job does not have, as the server names
// them ("spec.template.spec.containers[0].imagePolicy"), removed from `job`
// as the server drops them. Names are checked in the Job, ObjectMeta, JobSpec,
// PodTemplateSpec, PodSpec and Container; deeper objects are taken as they are.
std::vector<std::string> drop_unknown_job_fields(nlohmann::json& job);

}  // namespace synergai::kube::fake
