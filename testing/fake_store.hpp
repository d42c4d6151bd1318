// The fake API server's store: the objects it serves (Jobs, Nodes, and the
// Jobs' Pods), the resourceVersion stamped on every change, and the history of
// watch events that watches read and resume from (compacted to the newest
// `event_history` events, or all at once by compact()). Plain data and the
// rules for changing it: the server's one lock (testing/fake_state.hpp)
// guards it, and every member is used under that lock.
#pragma once

#include "testing/fake_types.hpp"

#include <nlohmann/json.hpp>

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <string_view>
#include <utility>

namespace synergai::kube::fake {

// Now, as the API server writes timestamps (RFC 3339, UTC, seconds).
std::string now_rfc3339();

// One change, as a watch sends it.
struct Event {
  std::uint64_t rv = 0;
  std::string type;  // ADDED, MODIFIED, DELETED
  std::string ns;    // empty for cluster-scoped objects (Nodes)
  std::string kind;  // Job, Node
  nlohmann::json object;
};

// A Job's pod: the object as served, and what its log says.
struct Pod {
  nlohmann::json object;
  nlohmann::json job;  // the Job as created
  JobPlan plan;
};

struct Store {
  using Key = std::pair<std::string, std::string>;  // (namespace, name)

  // `changed` is notified on every event, for the watches waiting on it.
  Store(std::size_t event_history, std::condition_variable& changed) : event_history_{event_history}, changed_{changed} {}

  std::map<Key, nlohmann::json> jobs;
  std::map<std::string, nlohmann::json> nodes;
  std::map<Key, Pod> pods;
  std::deque<Event> events;        // oldest first, by rv
  std::uint64_t rv = 1;            // the newest resourceVersion
  std::uint64_t compacted_rv = 0;  // events up to here are gone

  // The next resourceVersion, stamped on `obj`.
  void bump(nlohmann::json& obj);
  // Records a change of `obj` for the watches (ns empty for a Node) and wakes them.
  void push_event(const std::string& type, const std::string& ns, const nlohmann::json& obj);
  // Forgets the event history: a watch resuming from an older resourceVersion gets 410.
  void compact();
  // A new object uid; `variant` tells the kinds apart (Jobs 8000, Nodes 9000, Pods a000).
  std::string new_uid(std::string_view variant);

  // Adds a Ready node labelled kubernetes.io/hostname=name and `labels`.
  void add_node(const std::string& name, const std::map<std::string, std::string>& labels);

  // The pod of the Job `uid`, or nullptr.
  Pod* pod_of(const std::string& uid);
  // Deletes the Job's pods with it (propagation Background or Foreground).
  void delete_pods_of(const std::string& uid);
  // Leaves the Job's pods without their owner (propagation Orphan).
  void orphan_pods_of(const std::string& uid);

 private:
  std::size_t event_history_;
  std::condition_variable& changed_;
  std::uint64_t uid_counter_ = 0;
};

}  // namespace synergai::kube::fake
