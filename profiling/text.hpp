// Checks shared by the profiling parsers: the files they read are UTF-8 text,
// and anything else is rejected with the line it was found on.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

namespace synergai::profiling {

// The byte offset of the first byte that is not part of valid UTF-8 (or is a
// NUL), or nothing when `s` is clean.
inline std::optional<std::size_t> first_bad_byte(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c == 0) return i;
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t n = c >= 0xF0 && c <= 0xF4 ? 3 : c >= 0xE0 ? (c <= 0xEF ? 2 : 0) : c >= 0xC2 && c <= 0xDF ? 1 : 0;
    if (n == 0 || i + n >= s.size()) return i;  // not a lead byte, or cut short
    unsigned cp = c & (n == 1 ? 0x1F : n == 2 ? 0x0F : 0x07);
    for (std::size_t k = 1; k <= n; ++k) {
      auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return i;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if ((n == 2 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) || (n == 3 && (cp < 0x10000 || cp > 0x10FFFF)))
      return i;
    i += n + 1;
  }
  return std::nullopt;
}

// 1-based line number of byte offset `at`.
inline std::size_t line_of(std::string_view s, std::size_t at) {
  std::size_t line = 1;
  for (std::size_t i = 0; i < at && i < s.size(); ++i)
    if (s[i] == '\n') ++line;
  return line;
}

}  // namespace synergai::profiling
