// The policy registry: one line per policy.
#include "actors/policies/policy.hpp"

#include "support/errors.hpp"

#include <fmt/format.h>

#include <map>

namespace synergai {

std::unique_ptr<Policy> make_synergai_policy(const PolicyContext&);
std::unique_ptr<Policy> make_synergai_plus_policy(const PolicyContext&);
std::unique_ptr<Policy> make_rr_policy(const PolicyContext&);
std::unique_ptr<Policy> make_srr_policy(const PolicyContext&);
std::unique_ptr<Policy> make_lru_policy(const PolicyContext&);
std::unique_ptr<Policy> make_mru_policy(const PolicyContext&);
std::unique_ptr<Policy> make_be_policy(const PolicyContext&);
std::unique_ptr<Policy> make_slo_mael_policy(const PolicyContext&);
std::unique_ptr<Policy> make_synergai_energy_policy(const PolicyContext&);

namespace {

const std::map<std::string, PolicyFactory>& registry() {
  static const std::map<std::string, PolicyFactory> policies{
      {"synergai", make_synergai_policy},
      {"synergai-plus", make_synergai_plus_policy},
      {"rr", make_rr_policy},
      {"srr", make_srr_policy},
      {"lru", make_lru_policy},
      {"mru", make_mru_policy},
      {"be", make_be_policy},
      {"slo-mael", make_slo_mael_policy},
      {"synergai-energy", make_synergai_energy_policy},
  };
  return policies;
}

}  // namespace

std::set<std::string> policy_names() {
  std::set<std::string> out;
  for (const auto& [name, _] : registry()) out.insert(name);
  return out;
}

std::unique_ptr<Policy> make_policy(const std::string& name, const PolicyContext& context) {
  auto it = registry().find(name);
  if (it == registry().end())
    throw InputError{fmt::format("unknown policy \"{}\" (known: {})", name, fmt::join(policy_names(), ", "))};
  return it->second(context);
}

}  // namespace synergai
