// Writing output files so that a reader (or a crash) never sees half of one.
#pragma once

#include <filesystem>
#include <string_view>

namespace synergai {

// Writes `text` to a temporary file beside `path`, then renames it over
// `path`; creates missing parent folders. Throws RuntimeError on failure.
void write_file_atomically(const std::filesystem::path& path, std::string_view text);
// The same, and durable: the file is fsynced before the rename and its folder
// after, so that a crash leaves the old file or the new one, never neither.
void write_file_durably(const std::filesystem::path& path, std::string_view text);

}  // namespace synergai
