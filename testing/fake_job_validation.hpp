// Job validation as the Kubernetes API server does it on create: decoding
// (a field of the wrong JSON type is 400 BadRequest, the whole object refused
// before it is read) and then validation (422 Invalid with one cause per
// field: names, labels, counts, containers, restartPolicy). The fake API
// server's create route (testing/fake_routes.cpp) answers with these.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

namespace synergai::kube::fake {

// One field's reason for a 422, as a Status cause.
struct Cause {
  std::string reason, message, field;
};

// The type error the server reports as 400 BadRequest (decoding fails), if any.
std::optional<std::string> decode_error(const nlohmann::json& job);

// What makes a decoded Job invalid; empty when it is valid.
std::vector<Cause> validate_job(const nlohmann::json& job);

}  // namespace synergai::kube::fake
