// The service's journal: one JSON line per accepted job and per state
// transition ({"job": JobRecord}); the latest line of a job id wins.
//
// File work happens in batches, one writer at a time: each batch takes every
// line queued so far, writes it and fsyncs once (group commit). A durable
// line (a submission) is written as soon as its appender waits for it: by
// await(), which hands it to the journal's own thread, or by on_written(),
// which writes the batch on the calling thread when nobody else is writing
// and submissions come one at a time, and otherwise registers a callback for
// the next batch, so that an HTTP
// thread never blocks behind another's fsync and any number of submissions
// share one. Lines nobody waits for (transitions) never cost an fsync of
// their own while submissions come: they ride in the next durable batch, and
// the journal's thread writes them alone only `linger` after the oldest was
// queued (so that a job costs about one fsync, its submission's, rather than
// one per transition); a transition wakes that thread only when it waits for
// any line at all. When the file grows past the compaction bound, the writer
// rewrites it from a snapshot of every job's latest record (temporary file,
// fsync, rename, fsync of the folder), then appending goes on.
//
// Failures keep the journal's word (docs/operations.md, "The journal"):
// - a batch whose write or fsync fails is cut off again (ftruncate to the size
//   before it), so a durable append that failed was never written and never
//   comes back; the transitions in it are queued again and written with the
//   next batch that succeeds, and the journal recovers by itself when writes
//   succeed again (retried every `retry` while it fails);
// - on open, a last line without its newline (a crash mid-write) is repaired:
//   a complete record gets its newline, a fragment is cut off and kept in
//   <journal>.quarantine.
#pragma once

#include "messages/job.hpp"

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <atomic>
#include <chrono>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace synergai::service {

struct JournalReplay {
  std::vector<JobRecord> jobs;  // the latest record of each job, in order of first appearance
  std::size_t lines = 0;
  std::size_t skipped = 0;  // unreadable lines (the torn tail and damage)
  bool torn_tail = false;   // the last line has no newline and is no record: a crash mid-write
  // Unreadable lines before the last one (line number, text): damage, not a crash.
  std::vector<std::pair<std::size_t, std::string>> damaged;
};

// Reads a journal; a missing file is an empty journal.
JournalReplay read_journal(const std::filesystem::path& path);

struct TailRepair {
  std::size_t newline_added = 0;  // 1 when the last record only lacked its newline
  std::size_t bytes_cut = 0;      // a fragment moved to the quarantine file
  std::filesystem::path quarantine;
};

// Makes the file end at a complete line (see above); throws RuntimeError.
TailRepair repair_tail(const std::filesystem::path& path);

struct JournalStats {
  std::uint64_t bytes = 0;
  std::uint64_t lines_written = 0;
  std::uint64_t fsyncs = 0;
  std::uint64_t compactions = 0;
  std::uint64_t write_failures = 0;  // batches that could not be written (cut off again)
  std::uint64_t pending = 0;         // lines queued, transitions kept for the next write included
  bool failing = false;              // the last write failed; durable appends are refused
  std::string last_error;
  TailRepair repaired;               // what opening repaired
};

class Journal {
 public:
  using Snapshot = std::function<std::vector<JobRecord>()>;
  // The outcome of a line's batch: nullptr when the line is in the file
  // (fsynced), else the error that refused it.
  using Done = std::function<void(const std::string* error)>;

  // Opens (creating folders and file) for appending, repairing a torn tail;
  // throws RuntimeError.
  Journal(std::filesystem::path path, std::uint64_t compact_bytes, Snapshot snapshot,
          std::chrono::milliseconds retry = std::chrono::milliseconds{500},
          std::chrono::milliseconds linger = std::chrono::milliseconds{50});
  ~Journal();
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;

  // With `durable`, throws RuntimeError when the batch holding the line could
  // not be written: the line is not in the file.
  void append(const JobRecord& record, bool durable);
  // append() in two steps, so that a caller can queue a submission while it
  // holds its own lock (the table and the queue then agree: a compaction
  // leaves out the jobs whose submission is queued or was refused, since
  // their line is not in the file) and wait without it. await() throws as
  // append() does. A durable line is written once await() or on_written()
  // asks for it (or with any later batch, or at close).
  std::uint64_t enqueue(const JobRecord& record, bool durable);
  void await(std::uint64_t sequence);
  // await() without waiting for another thread: `done` is called once the
  // batch holding line `sequence` was tried. When nobody is writing and the
  // last batch held one durable line at most, this thread writes that batch now and calls `done` (and the callbacks of the
  // batch's other lines) before returning; else `done` is called by the
  // thread that writes the next batch, or at once if the line was already
  // tried (with an error, too, if the journal closes first). Call it without
  // holding a lock that the snapshot takes (a batch may compact). A refused
  // line is settled as after await(). `done` must not call back into the
  // journal but for settle() and enqueue().
  void on_written(std::uint64_t sequence, Done done);
  // Sequence of the last line queued.
  std::uint64_t queued() const;
  // After await() threw and the caller removed the job from its table: the
  // journal stops keeping the refused job out of compactions.
  void settle(std::uint64_t sequence);
  // Every line queued up to this sequence is in the file (fsynced), except
  // refused submissions. Any thread.
  std::uint64_t written() const { return written_.load(); }
  // Rewrites the file from the snapshot soon, on the journal's thread (after
  // damaged lines were dropped at start, so that they are gone from it).
  void rewrite();
  // Writes what is queued, fsyncs and stops the thread; idempotent. Returns
  // the number of lines that could not be written (0 when all are in the file).
  std::size_t close();

  JournalStats stats() const;

 private:
  struct Entry {
    std::string line;
    std::uint64_t sequence = 0;
    bool durable = false;
    std::string job_id;  // of a durable line
    std::chrono::steady_clock::time_point queued_at;
  };
  // A batch's outcome: the callbacks now due, each with its outcome.
  struct Tried {
    std::vector<std::pair<Done, std::optional<std::string>>> done;
    bool failed = false;
  };

  void run();
  // Writes the whole queue as one batch, `lock` released meanwhile; any
  // thread (one writer at a time: writing_).
  Tried write_queue(std::unique_lock<std::mutex>& lock);
  void write_batch(const std::deque<Entry>& batch);
  void compact();
  void wait_for(std::uint64_t sequence, std::unique_lock<std::mutex>& lock);
  // Takes the callbacks whose lines were tried, each with its outcome.
  std::vector<std::pair<Done, std::optional<std::string>>> take_done();

  std::filesystem::path path_;
  std::uint64_t compact_bytes_;
  Snapshot snapshot_;
  int fd_ = -1;
  std::uint64_t compacted_bytes_ = 0;  // size after the last compaction

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable synced_cv_;
  std::chrono::milliseconds retry_;
  std::chrono::milliseconds linger_;
  std::uint64_t awaited_ = 0;  // sequence up to which an appender waits
  std::deque<Entry> queue_;
  std::uint64_t queued_ = 0;  // sequence of the last queued line
  std::atomic<std::uint64_t> written_{0};
  std::uint64_t tried_ = 0;   // sequence of the last line whose batch was tried
  std::multimap<std::uint64_t, Done> waiters_;  // on_written() callbacks, by sequence
  std::map<std::uint64_t, std::string> refused_;  // durable lines whose batch failed (job id), until their appender learns it
  bool stopping_ = false;
  bool writing_ = false;  // a thread writes a batch (or a rewrite): the others leave the file alone
  bool idle_ = false;     // the journal's thread waits for any line at all
  std::size_t last_durables_ = 0;  // durable lines in the last batch: more than one, the load is concurrent
  bool closed_ = false;  // the thread has ended: on_written() answers at once
  bool rewrite_requested_ = false;
  JournalStats stats_;
  std::thread thread_;
};

}  // namespace synergai::service
