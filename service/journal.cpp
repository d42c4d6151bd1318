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
  std::ifstream in{path};
  if (!in) return r;
  std::map<std::string, std::size_t> index;
  std::string line;
  std::size_t number = 0;
  while (std::getline(in, line)) {
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
      log::warn("journal", "{}:{}: unreadable line skipped ({})", path.string(), number, e.what());
    }
  }
  return r;
}

Journal::Journal(std::filesystem::path path, std::uint64_t compact_bytes, Snapshot snapshot)
    : path_{std::move(path)}, compact_bytes_{compact_bytes}, snapshot_{std::move(snapshot)} {
  std::error_code ec;
  if (path_.has_parent_path()) std::filesystem::create_directories(path_.parent_path(), ec);
  fd_ = open_append(path_);
  stats_.bytes = std::filesystem::file_size(path_, ec);
  thread_ = std::thread{[this] { run(); }};
}

Journal::~Journal() { close(); }

void Journal::append(const JobRecord& record, bool durable) {
  auto line = line_of(record);
  std::unique_lock lock{mutex_};
  if (stopping_) throw RuntimeError{fmt::format("journal {}: closed", path_.string())};
  queue_.push_back(std::move(line));
  auto sequence = ++queued_;
  wake_.notify_one();
  if (durable) wait_for(sequence, lock);
}

void Journal::sync() {
  std::unique_lock lock{mutex_};
  wait_for(queued_, lock);
}

void Journal::wait_for(std::uint64_t sequence, std::unique_lock<std::mutex>& lock) {
  synced_cv_.wait(lock, [&] { return synced_ >= sequence || !failure_.empty(); });
  if (synced_ < sequence) throw RuntimeError{failure_};
}

void Journal::close() {
  {
    std::lock_guard lock{mutex_};
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
    wake_.notify_one();
  }
  if (thread_.joinable()) thread_.join();
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
}

JournalStats Journal::stats() const {
  std::lock_guard lock{mutex_};
  return stats_;
}

void Journal::run() {
  std::unique_lock lock{mutex_};
  for (;;) {
    wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (queue_.empty() && stopping_) return;
    std::deque<std::string> batch;
    batch.swap(queue_);
    auto last = queued_;
    lock.unlock();
    std::string error;
    try {
      write_batch(batch);
    } catch (const std::exception& e) {
      error = e.what();
    }
    lock.lock();
    if (!error.empty()) {
      log::error("journal", "{}", error);
      failure_ = error;
    } else {
      synced_ = last;
    }
    synced_cv_.notify_all();
    if (!error.empty()) {
      // A journal that cannot write refuses further durable appends; the
      // service reports them as failures rather than losing jobs silently.
      queue_.clear();
    }
  }
}

void Journal::write_batch(std::deque<std::string>& batch) {
  std::string data;
  for (auto& l : batch) data += l;
  write_all(fd_, data, path_);
  sync_fd(fd_, path_);
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
  if (bytes > std::max(compact_bytes_, 2 * compacted_bytes_) && snapshot_) compact();
}

void Journal::compact() {
  auto records = snapshot_();
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
  log::info("journal", "compacted {} to {} jobs ({} bytes)", path_.string(), records.size(), data.size());
}

}  // namespace synergai::service
