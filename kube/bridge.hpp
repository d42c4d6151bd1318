// The Kubernetes executor: a CAF actor speaking the executor protocol
// (messages/protocol.hpp) that runs each job as a batch/v1 Job.
//
//   run    -> build the manifest (kube/manifest.hpp), create the Job (or adopt
//             an existing one of ours), follow it through the Job watch and
//             report started / finished exactly once.
//   mode   -> patch the node's annotation synergai.io/power-mode=<id>; reply
//             with the mode id once the API server accepted the patch.
//   cancel -> delete the Job (propagationPolicy=Background), report cancelled.
//
// Blocking I/O never runs on the cooperative scheduler: API requests run on a
// few detached worker actors, the watch on its own thread (kube/watcher.hpp);
// both report back to the bridge as messages. At start-up the watcher lists
// the Jobs carrying our label; a run request for a job whose Job already
// exists adopts it instead of creating a duplicate (a restarted scheduler);
// `on_listed` tells the owner when that first list has been taken in.
#pragma once

#include "config/testbed.hpp"
#include "kube/client.hpp"
#include "kube/power_mode.hpp"
#include "kube/manifest.hpp"
#include "messages/protocol.hpp"
#include "messages/timeline.hpp"

#include <caf/actor_system.hpp>

#include <functional>
#include <memory>

namespace synergai::kube {

struct BridgeOptions {
  ManifestOptions manifest;  // an empty namespace: the credentials' namespace
  BackoffPolicy watch_backoff{std::chrono::milliseconds{200}, std::chrono::milliseconds{10000}, 2.0, 0.2, 8,
                              std::chrono::seconds{60}, 7};
  int request_workers = 4;  // detached actors doing create/delete/patch requests
  // How long a power-mode request waits for the node agent's report
  // (synergai.io/power-mode-applied or -error) before the job fails.
  PowerModeWait mode_wait{std::chrono::seconds{120}, std::chrono::milliseconds{100}};
  // Called once, on the bridge's thread, when the first list of our Jobs has
  // been taken in (from then on existing Jobs are adopted, never duplicated),
  // with where each listed Job runs. It must not block.
  std::function<void(const std::vector<JobPlacement>& jobs)> on_listed;
};

// Spawns the bridge. `client` is shared with its worker actors and watcher.
// Its instants are read on `timeline` (the scheduler's), never the wall clock.
executor_actor spawn_kube_bridge(caf::actor_system& system, std::shared_ptr<Client> client,
                                 config::Testbed testbed, const Timeline& timeline, BridgeOptions options = {});

}  // namespace synergai::kube
