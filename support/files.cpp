#include "support/files.hpp"

#include "support/errors.hpp"

#include <fmt/format.h>

#include <fstream>

namespace synergai {

void write_file_atomically(const std::filesystem::path& path, std::string_view text) {
  std::error_code ec;
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path(), ec);
  if (ec) throw RuntimeError{fmt::format("{}: cannot create folder: {}", path.parent_path().string(), ec.message())};
  auto tmp = path;
  tmp += ".tmp";
  {
    std::ofstream out{tmp, std::ios::binary | std::ios::trunc};
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    out.flush();
    if (!out) throw RuntimeError{fmt::format("{}: cannot write", tmp.string())};
  }
  std::filesystem::rename(tmp, path, ec);
  if (ec) throw RuntimeError{fmt::format("{}: cannot replace: {}", path.string(), ec.message())};
}

}  // namespace synergai
