// Process-wide logging to stderr, as text or JSON lines, through fmt.
//   log::info("urgency", "queue holds {} jobs", n);
// Thread-safe; the level and format are set once at start-up by the program.
#pragma once

#include <fmt/format.h>

#include <optional>
#include <string>
#include <string_view>

namespace synergai::log {

enum class Level { trace, debug, info, warn, error, off };
enum class Format { text, json };

std::optional<Level> parse_level(std::string_view name);
std::optional<Format> parse_format(std::string_view name);

void configure(Level level, Format format);
bool enabled(Level level);
void write(Level level, std::string_view component, std::string_view message);

template <class... Args>
void emit(Level level, std::string_view component, fmt::format_string<Args...> format, Args&&... args) {
  if (enabled(level))
    write(level, component, fmt::format(format, std::forward<Args>(args)...));
}

template <class... Args>
void debug(std::string_view component, fmt::format_string<Args...> format, Args&&... args) {
  emit(Level::debug, component, format, std::forward<Args>(args)...);
}
template <class... Args>
void info(std::string_view component, fmt::format_string<Args...> format, Args&&... args) {
  emit(Level::info, component, format, std::forward<Args>(args)...);
}
template <class... Args>
void warn(std::string_view component, fmt::format_string<Args...> format, Args&&... args) {
  emit(Level::warn, component, format, std::forward<Args>(args)...);
}
template <class... Args>
void error(std::string_view component, fmt::format_string<Args...> format, Args&&... args) {
  emit(Level::error, component, format, std::forward<Args>(args)...);
}

}  // namespace synergai::log
