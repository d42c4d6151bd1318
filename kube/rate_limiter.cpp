#include "kube/rate_limiter.hpp"

#include <algorithm>
#include <cmath>
#include <thread>

namespace synergai::kube {
namespace {

class SteadyClock : public Clock {
 public:
  time_point now() override { return std::chrono::time_point_cast<duration>(std::chrono::steady_clock::now()); }
  void sleep_for(duration d) override {
    if (d > duration::zero()) std::this_thread::sleep_for(d);
  }
};

}  // namespace

std::shared_ptr<Clock> system_clock() {
  static auto clock = std::make_shared<SteadyClock>();
  return clock;
}

Clock::time_point ManualClock::now() {
  std::lock_guard lock{mutex_};
  return now_;
}

void ManualClock::sleep_for(duration d) {
  std::lock_guard lock{mutex_};
  sleeps_.push_back(d);
  if (d > duration::zero()) now_ += d;
}

void ManualClock::advance(duration d) {
  std::lock_guard lock{mutex_};
  now_ += d;
}

std::vector<Clock::duration> ManualClock::sleeps() const {
  std::lock_guard lock{mutex_};
  return sleeps_;
}

RateLimiter::RateLimiter(RateLimit limit, std::shared_ptr<Clock> clock)
    : limit_{limit}, clock_{std::move(clock)}, tokens_{static_cast<double>(std::max(limit.burst, 1))},
      last_{clock_->now()} {}

void RateLimiter::refill(Clock::time_point now) {
  if (now > last_) {
    double elapsed = std::chrono::duration<double>(now - last_).count();
    tokens_ = std::min(static_cast<double>(std::max(limit_.burst, 1)), tokens_ + elapsed * limit_.qps);
    last_ = now;
  }
}

Clock::duration RateLimiter::acquire() {
  if (limit_.qps <= 0) return Clock::duration::zero();
  Clock::duration wait{};
  {
    std::lock_guard lock{mutex_};
    refill(clock_->now());
    // Reserve the token now (the bucket may go negative): later callers queue
    // behind this one, so waiters are served in order.
    tokens_ -= 1;
    if (tokens_ < 0) {
      wait = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(-tokens_ / limit_.qps));
      ++waits_;
    }
  }
  if (wait > Clock::duration::zero()) clock_->sleep_for(wait);
  return wait;
}

bool RateLimiter::try_acquire() {
  if (limit_.qps <= 0) return true;
  std::lock_guard lock{mutex_};
  refill(clock_->now());
  if (tokens_ < 1) return false;
  tokens_ -= 1;
  return true;
}

std::uint64_t RateLimiter::waits() const {
  std::lock_guard lock{mutex_};
  return waits_;
}

Backoff::Backoff(BackoffPolicy policy) : policy_{policy}, rng_{policy.seed} {}

Clock::duration Backoff::delay(int retry, std::optional<std::chrono::seconds> retry_after) {
  using fsec = std::chrono::duration<double>;
  double base = std::chrono::duration_cast<fsec>(policy_.initial).count() *
                std::pow(policy_.factor, std::max(retry - 1, 0));
  base = std::min(base, std::chrono::duration_cast<fsec>(policy_.max).count());
  double jitter = 0;
  {
    std::lock_guard lock{mutex_};
    jitter = std::uniform_real_distribution<double>{0.0, std::max(policy_.jitter, 0.0)}(rng_);
  }
  double d = base * (1 + jitter);
  if (retry_after) {
    double ra = static_cast<double>(std::min(*retry_after, policy_.max_retry_after).count());
    d = std::max(ra, base);
  }
  return std::chrono::duration_cast<Clock::duration>(fsec{d});
}

}  // namespace synergai::kube
