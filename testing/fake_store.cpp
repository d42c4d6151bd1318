#include "testing/fake_store.hpp"

#include <fmt/format.h>

#include <ctime>

namespace synergai::kube::fake {

using json = nlohmann::json;

std::string now_rfc3339() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

void Store::bump(json& obj) {
  ++rv;
  obj["metadata"]["resourceVersion"] = std::to_string(rv);
}

void Store::push_event(const std::string& type, const std::string& ns, const json& obj) {
  events.push_back(Event{rv, type, ns, obj.value("kind", std::string{}), obj});
  while (events.size() > event_history_) {
    compacted_rv = events.front().rv;
    events.pop_front();
  }
  changed_.notify_all();
}

void Store::compact() {
  compacted_rv = rv;
  events.clear();
}

std::string Store::new_uid(std::string_view variant) {
  return fmt::format("00000000-0000-4000-{}-{:012x}", variant, ++uid_counter_);
}

void Store::add_node(const std::string& name, const std::map<std::string, std::string>& labels) {
  json l = json::object();
  l["kubernetes.io/hostname"] = name;
  for (const auto& [k, v] : labels) l[k] = v;
  json node{{"kind", "Node"},
            {"apiVersion", "v1"},
            {"metadata",
             {{"name", name},
              {"uid", new_uid("9000")},
              {"labels", l},
              {"annotations", json::object()},
              {"creationTimestamp", now_rfc3339()}}},
            {"spec", json::object()},
            {"status", {{"conditions", json::array({{{"type", "Ready"}, {"status", "True"}}})}}}};
  bump(node);
  nodes[name] = node;
  push_event("ADDED", "", node);
}

Pod* Store::pod_of(const std::string& uid) {
  for (auto& [key, p] : pods)
    if (p.object["metadata"]["labels"].value("controller-uid", std::string{}) == uid) return &p;
  return nullptr;
}

void Store::delete_pods_of(const std::string& uid) {
  std::erase_if(pods, [&](const auto& kv) {
    return kv.second.object["metadata"]["labels"].value("controller-uid", std::string{}) == uid;
  });
}

void Store::orphan_pods_of(const std::string& uid) {
  for (auto& [key, p] : pods)
    if (p.object["metadata"]["labels"].value("controller-uid", std::string{}) == uid)
      p.object["metadata"].erase("ownerReferences"), bump(p.object);
}

}  // namespace synergai::kube::fake
