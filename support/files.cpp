#include "support/files.hpp"

#include "support/errors.hpp"

#include <fmt/format.h>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

namespace synergai {
namespace {

// Creates `path`'s folder; the temporary file to write beside `path`.
std::filesystem::path temporary_beside(const std::filesystem::path& path) {
  std::error_code ec;
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path(), ec);
  if (ec) throw RuntimeError{fmt::format("{}: cannot create folder: {}", path.parent_path().string(), ec.message())};
  auto tmp = path;
  tmp += ".tmp";
  return tmp;
}

void replace(const std::filesystem::path& tmp, const std::filesystem::path& path) {
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) throw RuntimeError{fmt::format("{}: cannot replace: {}", path.string(), ec.message())};
}

bool write_all(int fd, std::string_view text) {
  while (!text.empty()) {
    auto n = ::write(fd, text.data(), text.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    text.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

}  // namespace

void write_file_atomically(const std::filesystem::path& path, std::string_view text) {
  const auto tmp = temporary_beside(path);
  {
    std::ofstream out{tmp, std::ios::binary | std::ios::trunc};
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    out.flush();
    if (!out) throw RuntimeError{fmt::format("{}: cannot write", tmp.string())};
  }
  replace(tmp, path);
}

void write_file_durably(const std::filesystem::path& path, std::string_view text) {
  const auto tmp = temporary_beside(path);
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw RuntimeError{fmt::format("{}: cannot create: {}", tmp.string(), std::strerror(errno))};
  const bool written = write_all(fd, text) && ::fsync(fd) == 0;
  const int error = errno;
  ::close(fd);
  if (!written) {
    std::error_code ec;
    std::filesystem::remove(tmp, ec);
    throw RuntimeError{fmt::format("{}: cannot write: {}", tmp.string(), std::strerror(error))};
  }
  replace(tmp, path);
  // The rename is durable once the folder is.
  const auto folder = path.parent_path();
  if (int dfd = ::open(folder.empty() ? "." : folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
}

}  // namespace synergai
