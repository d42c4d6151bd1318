#include "service/journal.hpp"

#include "support/errors.hpp"
#include "support/log.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <map>
#include <unistd.h>

namespace synergai::service {
namespace {

std::string line_of(const JobRecord& r) { return nlohmann::json{{"job", r}}.dump() + "\n"; }

void write_all(int fd, const std::string& data, const std::filesystem::path& path) {
  std::size_t done = 0;
  while (done < data.size()) {
    auto n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw RuntimeError{fmt::format("journal {}: write failed: {}", path.string(), std::strerror(errno))};
    }
    done += static_cast<std::size_t>(n);
  }
}

void sync_fd(int fd, const std::filesystem::path& path) {
  if (::fsync(fd) != 0)
    throw RuntimeError{fmt::format("journal {}: fsync failed: {}", path.string(), std::strerror(errno))};
}

void sync_folder(const std::filesystem::path& folder) {
  int dfd = ::open(folder.empty() ? "." : folder.c_str(), O_RDONLY | O_DIRECTORY);
  if (dfd < 0) return;
  ::fsync(dfd);
  ::close(dfd);
}

int open_append(const std::filesystem::path& path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) throw RuntimeError{fmt::format("journal {}: cannot open: {}", path.string(), std::strerror(errno))};
  return fd;
}

}  // namespace

JournalReplay read_journal(const std::filesystem::path& path) {
  JournalReplay r;
  std::ifstream in{path, std::ios::binary};
  if (!in) return r;
  const std::string text{std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
  std::map<std::string, std::size_t> index;
  std::size_t number = 0;
  std::size_t start = 0;
  while (start < text.size()) {
    auto end = text.find('\n', start);
    const bool terminated = end != std::string::npos;
    const std::string line = text.substr(start, terminated ? end - start : std::string::npos);
    start = terminated ? end + 1 : text.size();
    ++number;
    if (line.empty()) continue;
    ++r.lines;
    try {
      auto record = nlohmann::json::parse(line).at("job").get<JobRecord>();
      if (record.spec.id.empty()) throw std::runtime_error{"empty job id"};
      auto [it, fresh] = index.emplace(record.spec.id, r.jobs.size());
      if (fresh) r.jobs.push_back(std::move(record));
      else r.jobs[it->second] = std::move(record);
    } catch (const std::exception& e) {
      ++r.skipped;
      // A crash mid-write leaves the beginning of a record, never acknowledged;
      // anything else without its newline is damage like any other.
      if (!terminated && line.rfind(R"({"job")", 0) == 0) {
        r.torn_tail = true;
        log::warn("journal", "torn last line skipped", {{"journal", path.string()}, {"line", number}, {"bytes", line.size()}});
      } else {
        r.damaged.emplace_back(number, line);
        log::warn("journal", "damaged line", {{"journal", path.string()}, {"line", number}, {"error", e.what()}});
      }
    }
  }
  return r;
}

TailRepair repair_tail(const std::filesystem::path& path) {
  TailRepair repair;
  int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) return repair;  // no journal yet
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  const off_t size = ::lseek(fd, 0, SEEK_END);
  if (size <= 0) return repair;
  // Records are small: the tail after the last newline is read whole.
  std::string tail;
  off_t from = size;
  std::size_t newline = std::string::npos;
  while (from > 0 && newline == std::string::npos) {
    const off_t step = std::min<off_t>(from, 64 * 1024);
    from -= step;
    std::string chunk(static_cast<std::size_t>(step), '\0');
    if (::pread(fd, chunk.data(), chunk.size(), from) != step)
      throw RuntimeError{fmt::format("journal {}: cannot read its end: {}", path.string(), std::strerror(errno))};
    tail = chunk + tail;
    newline = tail.rfind('\n');
  }
  if (newline == tail.size() - 1) return repair;  // ends with a complete line
  const std::string fragment = newline == std::string::npos ? tail : tail.substr(newline + 1);
  const off_t keep = size - static_cast<off_t>(fragment.size());
  bool complete = false;
  try {
    complete = !nlohmann::json::parse(fragment).at("job").get<JobRecord>().spec.id.empty();
  } catch (const std::exception&) {
  }
  if (complete) {
    write_all(fd, "\n", path);  // the record was whole; only its newline was missing
    sync_fd(fd, path);
    repair.newline_added = 1;
    log::warn("journal", "the last record had no newline; the newline was added", {{"journal", path.string()}});
    return repair;
  }
  repair.quarantine = path;
  repair.quarantine += ".quarantine";
  int q = ::open(repair.quarantine.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (q < 0)
    throw RuntimeError{fmt::format("journal {}: cannot open {}: {}", path.string(), repair.quarantine.string(),
                                   std::strerror(errno))};
  try {
    write_all(q, fragment + "\n", repair.quarantine);
    sync_fd(q, repair.quarantine);
  } catch (...) {
    ::close(q);
    throw;
  }
  ::close(q);
  if (::ftruncate(fd, keep) != 0)
    throw RuntimeError{fmt::format("journal {}: cannot cut its torn tail: {}", path.string(), std::strerror(errno))};
  sync_fd(fd, path);
  repair.bytes_cut = fragment.size();
  log::warn("journal", "a torn last line (a crash mid-write) was cut off and kept",
            {{"journal", path.string()}, {"bytes", fragment.size()}, {"kept_in", repair.quarantine.string()}});
  return repair;
}

Journal::Journal(std::filesystem::path path, std::uint64_t compact_bytes, Snapshot snapshot,
                 std::chrono::milliseconds retry, std::chrono::milliseconds linger)
    : path_{std::move(path)},
      compact_bytes_{compact_bytes},
      snapshot_{std::move(snapshot)},
      retry_{retry},
      linger_{linger} {
  std::error_code ec;
  if (path_.has_parent_path()) std::filesystem::create_directories(path_.parent_path(), ec);
  stats_.repaired = repair_tail(path_);
  fd_ = open_append(path_);
  stats_.bytes = std::filesystem::file_size(path_, ec);
  thread_ = std::thread{[this] { run(); }};
}

Journal::~Journal() { close(); }

void Journal::append(const JobRecord& record, bool durable) {
  auto sequence = enqueue(record, durable);
  if (!durable) return;
  try {
    await(sequence);
  } catch (...) {
    settle(sequence);
    throw;
  }
}

void Journal::settle(std::uint64_t sequence) {
  std::lock_guard lock{mutex_};
  refused_.erase(sequence);
}

std::uint64_t Journal::enqueue(const JobRecord& record, bool durable) {
  auto line = line_of(record);
  std::lock_guard lock{mutex_};
  if (stopping_) throw RuntimeError{fmt::format("journal {}: closed", path_.string())};
  auto sequence = ++queued_;
  queue_.push_back(Entry{std::move(line), sequence, durable, durable ? record.spec.id : std::string{},
                         std::chrono::steady_clock::now()});
  // A durable line is announced by its appender's await() or on_written().
  // A transition only wakes a thread that waits for any line at all: one that
  // lingers or writes takes it with the rest.
  if (!durable && idle_) wake_.notify_one();
  return sequence;
}

void Journal::await(std::uint64_t sequence) {
  std::unique_lock lock{mutex_};
  if (tried_ < sequence && awaited_ < sequence) {
    awaited_ = sequence;
    wake_.notify_one();
  }
  wait_for(sequence, lock);
}

void Journal::on_written(std::uint64_t sequence, Done done) {
  std::optional<std::string> outcome;
  Tried tried;
  {
    std::unique_lock lock{mutex_};
    if (tried_ < sequence && !closed_) {
      waiters_.emplace(sequence, std::move(done));
      if (writing_ || stopping_ || rewrite_requested_ || stats_.failing || queue_.empty() || last_durables_ > 1) {
        // The batch being written, or the journal's thread (retrying a
        // failing disk, closing, rewriting), takes this line next.
        if (awaited_ < sequence) {
          awaited_ = sequence;
          wake_.notify_one();
        }
        return;
      }
      // Nobody writes, and submissions come one at a time (the last batch
      // held one at most): this thread writes the batch itself, this line and
      // every other pending, sparing the hand-over to the journal's thread and
      // back (a client waiting for each answer costs an fsync and little
      // else). Under concurrent load the journal's thread writes, and the
      // submissions parsed while it wakes join its batch.
      tried = write_queue(lock);
    } else if (tried_ < sequence) {
      outcome = fmt::format("journal {}: closed", path_.string());
    } else if (refused_.count(sequence)) {
      outcome = stats_.last_error;
    }
  }
  if (!tried.done.empty() || tried.failed) {
    for (auto& [callback, result] : tried.done) callback(result ? &*result : nullptr);
    return;
  }
  done(outcome ? &*outcome : nullptr);
}

std::uint64_t Journal::queued() const {
  std::lock_guard lock{mutex_};
  return queued_;
}

std::vector<std::pair<Journal::Done, std::optional<std::string>>> Journal::take_done() {
  std::vector<std::pair<Done, std::optional<std::string>>> out;
  auto end = waiters_.upper_bound(tried_);
  for (auto it = waiters_.begin(); it != end; ++it) {
    std::optional<std::string> error;
    if (refused_.count(it->first)) error = stats_.last_error;
    out.emplace_back(std::move(it->second), std::move(error));
  }
  waiters_.erase(waiters_.begin(), end);
  return out;
}

void Journal::rewrite() {
  std::lock_guard lock{mutex_};
  rewrite_requested_ = true;
  wake_.notify_one();
}

void Journal::wait_for(std::uint64_t sequence, std::unique_lock<std::mutex>& lock) {
  synced_cv_.wait(lock, [&] { return tried_ >= sequence; });
  if (refused_.count(sequence)) throw RuntimeError{stats_.last_error};
}

std::size_t Journal::close() {
  {
    std::lock_guard lock{mutex_};
    if (stopping_ && !thread_.joinable()) return queue_.size();
    stopping_ = true;
    wake_.notify_one();
  }
  if (thread_.joinable()) thread_.join();
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
  std::multimap<std::uint64_t, Done> left;  // lines of a last batch that could not be tried
  {
    std::lock_guard lock{mutex_};
    closed_ = true;
    left.swap(waiters_);
  }
  const auto closed = fmt::format("journal {}: closed", path_.string());
  for (auto& [_, done] : left) done(&closed);
  std::lock_guard lock{mutex_};
  if (!queue_.empty())
    log::error("journal", "lines could not be written before the service stopped",
               {{"journal", path_.string()}, {"lines", queue_.size()}, {"error", stats_.last_error}});
  return queue_.size();
}

JournalStats Journal::stats() const {
  std::lock_guard lock{mutex_};
  auto s = stats_;
  s.pending = queue_.size();
  return s;
}

void Journal::run() {
  std::unique_lock lock{mutex_};
  for (;;) {
    idle_ = true;
    wake_.wait(lock, [&] { return !writing_ && (stopping_ || !queue_.empty() || rewrite_requested_); });
    idle_ = false;
    if (queue_.empty() && stopping_ && !rewrite_requested_) return;  // a requested rewrite is done first
    if (queue_.empty()) {  // a rewrite asked for, nothing to append
      rewrite_requested_ = false;
      writing_ = true;
      lock.unlock();
      try {
        compact();
      } catch (const std::exception& e) {
        log::error("journal", "rewrite failed, the journal is kept as it is", {{"journal", path_.string()}, {"error", e.what()}});
      }
      lock.lock();
      writing_ = false;
      continue;
    }
    // Nobody waits for these lines yet: give a submission the chance to carry
    // them in its fsync, up to `linger` after the oldest was queued. A
    // submission's thread may take the queue meanwhile; the wait then goes on
    // for the lines queued since, without anyone waking this thread.
    while (!stopping_ && !rewrite_requested_ && awaited_ <= tried_ && !writing_ && !queue_.empty()) {
      const auto due = queue_.front().queued_at + linger_;
      if (std::chrono::steady_clock::now() >= due) break;
      wake_.wait_until(lock, due);
    }
    if (writing_ || queue_.empty()) continue;
    auto tried = write_queue(lock);
    if (!tried.done.empty()) {
      lock.unlock();
      for (auto& [callback, outcome] : tried.done) callback(outcome ? &*outcome : nullptr);
      lock.lock();
    }
    if (tried.failed) {
      if (stopping_) return;  // close() reports what is left
      wake_.wait_for(lock, retry_, [&] { return stopping_; });
    }
  }
}

Journal::Tried Journal::write_queue(std::unique_lock<std::mutex>& lock) {
  std::deque<Entry> batch;
  batch.swap(queue_);
  const auto last = batch.back().sequence;
  writing_ = true;
  lock.unlock();
  std::string error;
  try {
    write_batch(batch);
  } catch (const std::exception& e) {
    error = e.what();
  }
  lock.lock();
  writing_ = false;
  tried_ = std::max(tried_, last);
  last_durables_ = static_cast<std::size_t>(
      std::count_if(batch.begin(), batch.end(), [](const Entry& e) { return e.durable; }));
  if (error.empty()) {
    // Lines of earlier failed batches went back to the front of the queue,
    // so everything up to this batch's last line is now in the file.
    written_ = std::max(written_.load(), last);
    if (stats_.failing) log::info("journal", "writable again", {{"journal", path_.string()}});
    stats_.failing = false;
  } else {
    if (!stats_.failing) log::error("journal", "write failed; submissions are refused until one succeeds",
                                    {{"journal", path_.string()}, {"error", error}});
    stats_.failing = true;
    stats_.last_error = error;
    ++stats_.write_failures;
    // Durable lines were refused (their appenders answer 503); transitions
    // of accepted jobs go back to the front, for the next batch.
    for (auto it = batch.rbegin(); it != batch.rend(); ++it) {
      if (it->durable) refused_.emplace(it->sequence, it->job_id);
      else queue_.push_front(std::move(*it));
    }
  }
  synced_cv_.notify_all();
  // The journal's thread waits while another thread writes: lines left for
  // it (queued meanwhile, or put back after a failure) are its to write.
  if (idle_ && (!queue_.empty() || stopping_ || rewrite_requested_)) wake_.notify_one();
  return Tried{take_done(), !error.empty()};
}

void Journal::write_batch(const std::deque<Entry>& batch) {
  std::string data;
  for (const auto& e : batch) data += e.line;
  const off_t before = ::lseek(fd_, 0, SEEK_END);
  try {
    write_all(fd_, data, path_);
    sync_fd(fd_, path_);
  } catch (...) {
    // Refused means never written: cut off whatever part of the batch landed.
    if (before >= 0 && ::ftruncate(fd_, before) == 0) ::fsync(fd_);
    throw;
  }
  std::uint64_t bytes;
  {
    std::lock_guard lock{mutex_};
    stats_.bytes += data.size();
    stats_.lines_written += batch.size();
    ++stats_.fsyncs;
    bytes = stats_.bytes;
  }
  // Past the bound, and at least twice what the last compaction left (a
  // journal whose live jobs alone pass the bound is not rewritten each time).
  // A failed compaction leaves the journal as it was (the batch is in it).
  if (bytes > std::max(compact_bytes_, 2 * compacted_bytes_) && snapshot_) {
    try {
      compact();
    } catch (const std::exception& e) {
      log::error("journal", "compaction failed, the journal is kept as it is", {{"journal", path_.string()}, {"error", e.what()}});
    }
  }
}

void Journal::compact() {
  auto records = snapshot_();
  {
    // Jobs whose submission is still queued or was refused are in the table
    // but not in the file: they stay out of it. (This thread writes the queue,
    // so nothing queued before the snapshot can be written meanwhile.)
    std::set<std::string> unwritten;
    std::lock_guard lock{mutex_};
    for (const auto& e : queue_)
      if (e.durable) unwritten.insert(e.job_id);
    for (const auto& [_, id] : refused_) unwritten.insert(id);
    if (!unwritten.empty())
      records.erase(std::remove_if(records.begin(), records.end(),
                                   [&](const JobRecord& r) { return unwritten.count(r.spec.id) > 0; }),
                    records.end());
  }
  std::string data;
  for (const auto& r : records) data += line_of(r);
  auto temporary = path_;
  temporary += ".compact";
  int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw RuntimeError{fmt::format("journal {}: cannot open: {}", temporary.string(), std::strerror(errno))};
  try {
    write_all(fd, data, temporary);
    sync_fd(fd, temporary);
  } catch (...) {
    ::close(fd);
    throw;
  }
  ::close(fd);
  std::filesystem::rename(temporary, path_);
  sync_folder(path_.parent_path());
  ::close(fd_);
  fd_ = open_append(path_);
  std::lock_guard lock{mutex_};
  stats_.bytes = data.size();
  compacted_bytes_ = data.size();
  ++stats_.compactions;
  log::info("journal", "compacted", {{"journal", path_.string()}, {"jobs", records.size()}, {"bytes", data.size()}});
}

}  // namespace synergai::service
