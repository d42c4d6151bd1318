#include "kube/watcher.hpp"

#include "support/log.hpp"

namespace synergai::kube {

JobWatcher::JobWatcher(Client& client, std::string label_selector, std::string ns, Handlers handlers,
                       BackoffPolicy backoff)
    : client_{client}, selector_{std::move(label_selector)}, ns_{std::move(ns)}, handlers_{std::move(handlers)},
      backoff_{backoff} {}

void JobWatcher::stop() {
  std::lock_guard lock{mutex_};
  stopped_ = true;
  if (current_) current_->cancel();
  cv_.notify_all();
}

bool JobWatcher::wait(Clock::duration d) {
  std::unique_lock lock{mutex_};
  cv_.wait_for(lock, d, [&] { return stopped_; });
  return !stopped_;
}

void JobWatcher::count(std::uint64_t WatcherStats::*field) {
  std::lock_guard lock{mutex_};
  ++(stats_.*field);
}

WatcherStats JobWatcher::stats() const {
  std::lock_guard lock{mutex_};
  return stats_;
}

std::string JobWatcher::resource_version() const {
  std::lock_guard lock{mutex_};
  return rv_;
}

void JobWatcher::run() {
  bool need_list = true;
  bool resuming = false;
  int failures = 0;
  auto stopped = [&] {
    std::lock_guard lock{mutex_};
    return stopped_;
  };
  auto fail = [&](const std::exception& e, const char* what) {
    count(&WatcherStats::failures);
    ++failures;
    auto d = backoff_.delay(failures, std::nullopt);
    // The first failure in a row is a warning: until a list succeeds, Jobs are
    // not followed (and `synergai serve` is not ready).
    const double seconds = std::chrono::duration<double>(d).count();
    if (failures == 1)
      log::warn("kube", "job watcher request failed", {{"request", what}, {"error", e.what()}, {"retry_in_s", seconds}});
    else
      log::debug("kube", "job watcher request failed", {{"request", what}, {"error", e.what()}, {"retry_in_s", seconds}});
    return wait(d);
  };

  while (!stopped()) {
    if (need_list) {
      try {
        auto list = client_.list_jobs(selector_, ns_);
        {
          std::lock_guard lock{mutex_};
          rv_ = list.resource_version;
          ++stats_.lists;
        }
        if (handlers_.on_list) handlers_.on_list(list.items, list.resource_version);
        need_list = false;
        resuming = false;
      } catch (const ApiError& e) {
        if (!fail(e, "list")) break;
        continue;
      }
    }
    std::shared_ptr<WatchStream> stream;
    try {
      stream = client_.watch_jobs(selector_, resource_version(), ns_, true);
    } catch (const ApiError& e) {
      if (e.is_gone()) {
        count(&WatcherStats::gone);
        need_list = true;
        continue;
      }
      if (!fail(e, "watch")) break;
      resuming = true;
      continue;
    }
    {
      std::lock_guard lock{mutex_};
      if (stopped_) break;
      current_ = stream;
      ++stats_.watches;
      if (resuming) ++stats_.resumes;
    }
    try {
      while (auto ev = stream->next()) {
        failures = 0;
        const auto rv = ev->object.is_object()
                            ? ev->object.value("/metadata/resourceVersion"_json_pointer, std::string{})
                            : std::string{};
        if (ev->type == "BOOKMARK") {
          std::lock_guard lock{mutex_};
          if (!rv.empty()) rv_ = rv;
          ++stats_.bookmarks;
          continue;
        }
        if (ev->type == "ERROR") {
          auto err = ApiError::from_status(ev->object);
          if (err.is_gone()) {
            count(&WatcherStats::gone);
            need_list = true;
            break;
          }
          throw err;
        }
        if (handlers_.on_event) handlers_.on_event(*ev);
        std::lock_guard lock{mutex_};
        if (!rv.empty()) rv_ = rv;
        ++stats_.events;
      }
    } catch (const ApiError& e) {
      if (!stopped() && !fail(e, "watch stream")) break;
    }
    {
      std::lock_guard lock{mutex_};
      current_.reset();
    }
    resuming = !need_list;
  }
}

}  // namespace synergai::kube
