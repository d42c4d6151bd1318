#include "testing/fake_types.hpp"

namespace synergai::kube::fake {

std::string to_string(Endpoint e) {
  switch (e) {
    case Endpoint::version: return "version";
    case Endpoint::discovery: return "discovery";
    case Endpoint::create_job: return "create_job";
    case Endpoint::get_job: return "get_job";
    case Endpoint::list_jobs: return "list_jobs";
    case Endpoint::watch_jobs: return "watch_jobs";
    case Endpoint::watch_nodes: return "watch_nodes";
    case Endpoint::delete_job: return "delete_job";
    case Endpoint::patch_job: return "patch_job";
    case Endpoint::list_nodes: return "list_nodes";
    case Endpoint::get_node: return "get_node";
    case Endpoint::patch_node: return "patch_node";
    case Endpoint::list_pods: return "list_pods";
    case Endpoint::pod_log: return "pod_log";
    case Endpoint::other: return "other";
  }
  return "other";
}

}  // namespace synergai::kube::fake
