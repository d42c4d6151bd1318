#include "testing/fake_faults.hpp"

namespace synergai::kube::fake {

Faults FaultReactors::of(Endpoint endpoint) const {
  auto it = by_endpoint_.find(endpoint);
  return it != by_endpoint_.end() ? it->second : Faults{};
}

void FaultReactors::set(Endpoint endpoint, Faults faults) { by_endpoint_[endpoint] = std::move(faults); }

void FaultReactors::clear() { by_endpoint_.clear(); }

std::optional<FaultReactors::Injected> FaultReactors::before_request(const Faults& f) {
  if (f.reset_rate > 0 && uniform() < f.reset_rate) return Injected{true, 0, std::nullopt};
  // One draw per request, error rates set or not.
  double r = uniform(), acc = 0;
  for (const auto& [code, rate] : f.error_rates) {
    acc += rate;
    if (r < acc) {
      std::optional<int> retry_after;
      if (f.retry_after_s && (code == 429 || code == 503)) retry_after = f.retry_after_s;
      return Injected{false, code, retry_after};
    }
  }
  return std::nullopt;
}

bool FaultReactors::gone_on_resume(Endpoint endpoint, const Faults& f) {
  if (f.gone_on_resume_next > 0) {
    auto it = by_endpoint_.find(endpoint);
    if (it != by_endpoint_.end() && it->second.gone_on_resume_next > 0) --it->second.gone_on_resume_next;
    return true;
  }
  return f.gone_on_resume_rate > 0 && uniform() < f.gone_on_resume_rate;
}

std::vector<bool> FaultReactors::drops_before(const Faults& f, std::size_t events) {
  std::vector<bool> drop(events, false);
  for (std::size_t i = 0; i < events; ++i) drop[i] = (f.drop_rate > 0 && uniform() < f.drop_rate);
  return drop;
}

}  // namespace synergai::kube::fake
