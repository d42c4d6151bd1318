// Follows the Jobs matching a label selector: list, then watch from the
// list's resourceVersion; after a dropped connection or a server timeout it
// resumes from the last resourceVersion seen (events or bookmarks); on 410
// (Gone / Expired, as an HTTP status or an ERROR event) it lists again and
// resumes from there. Runs on the calling thread until stop().
#pragma once

#include "kube/client.hpp"

#include <condition_variable>
#include <functional>
#include <mutex>

namespace synergai::kube {

struct WatcherStats {
  std::uint64_t lists = 0;    // full lists (the first included)
  std::uint64_t watches = 0;  // watch streams opened
  std::uint64_t resumes = 0;  // watches opened after a drop or a timeout
  std::uint64_t gone = 0;     // 410s that forced a re-list
  std::uint64_t events = 0;   // ADDED/MODIFIED/DELETED delivered
  std::uint64_t bookmarks = 0;
  std::uint64_t failures = 0;  // failed lists or watches
};

class JobWatcher {
 public:
  struct Handlers {
    // The complete current state after each (re-)list.
    std::function<void(const std::vector<nlohmann::json>& jobs, const std::string& resource_version)> on_list;
    std::function<void(const WatchEvent& event)> on_event;  // ADDED, MODIFIED, DELETED
  };

  JobWatcher(Client& client, std::string label_selector, std::string ns, Handlers handlers,
             BackoffPolicy backoff = {});
  void run();
  void stop();  // thread-safe; run() returns promptly
  WatcherStats stats() const;
  std::string resource_version() const;

 private:
  bool wait(Clock::duration d);  // false when stopped
  void count(std::uint64_t WatcherStats::*field);

  Client& client_;
  std::string selector_;
  std::string ns_;
  Handlers handlers_;
  Backoff backoff_;
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  bool stopped_ = false;
  std::shared_ptr<WatchStream> current_;
  std::string rv_;
  WatcherStats stats_;
};

}  // namespace synergai::kube
