// The service's journal: one JSON line per accepted job and per state
// transition ({"job": JobRecord}); the latest line of a job id wins.
//
// All file work happens on the journal's own thread. append() queues a line;
// with `durable` it returns only once the line is written and fsynced (lines
// queued together share one fsync). When the file grows past the compaction
// bound, the thread rewrites it from a snapshot of every job's latest record
// (temporary file, fsync, rename, fsync of the folder), then keeps appending.
#pragma once

#include "messages/job.hpp"

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace synergai::service {

struct JournalReplay {
  std::vector<JobRecord> jobs;  // the latest record of each job, in order of first appearance
  std::size_t lines = 0;
  std::size_t skipped = 0;  // unreadable lines (a torn last line after a crash, or damage)
};

// Reads a journal; a missing file is an empty journal.
JournalReplay read_journal(const std::filesystem::path& path);

struct JournalStats {
  std::uint64_t bytes = 0;
  std::uint64_t lines_written = 0;
  std::uint64_t fsyncs = 0;
  std::uint64_t compactions = 0;
};

class Journal {
 public:
  using Snapshot = std::function<std::vector<JobRecord>()>;

  // Opens (creating folders and file) for appending; throws RuntimeError.
  Journal(std::filesystem::path path, std::uint64_t compact_bytes, Snapshot snapshot);
  ~Journal();
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;

  // Throws RuntimeError if the journal failed (a durable append's write or fsync).
  void append(const JobRecord& record, bool durable);
  // Waits until everything appended so far is written and fsynced.
  void sync();
  // Writes what is queued, fsyncs and stops the thread; idempotent.
  void close();

  JournalStats stats() const;

 private:
  void run();
  void write_batch(std::deque<std::string>& batch);
  void compact();
  void wait_for(std::uint64_t sequence, std::unique_lock<std::mutex>& lock);

  std::filesystem::path path_;
  std::uint64_t compact_bytes_;
  Snapshot snapshot_;
  int fd_ = -1;
  std::uint64_t compacted_bytes_ = 0;  // size after the last compaction

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable synced_cv_;
  std::deque<std::string> queue_;
  std::uint64_t queued_ = 0;  // sequence of the last queued line
  std::uint64_t synced_ = 0;  // sequence of the last fsynced line
  bool stopping_ = false;
  std::string failure_;
  JournalStats stats_;
  std::thread thread_;
};

}  // namespace synergai::service
