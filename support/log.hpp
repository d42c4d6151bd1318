// Process-wide logging to stderr, as text or JSON lines. A line is a short
// fixed message and key/value fields, in the order given, so that what a
// line is about (a job, a node, an engine, a policy, an error) can be
// searched and filtered rather than read out of a sentence:
//   log::info("bridge", "job created", {{"job", id}, {"node", node}, {"attempt", 2}});
// text: 2026-11-28T08:00:00.000Z info  [bridge] job created job=j1 node=jetson-nx-1 attempt=2
// JSON: {"time":"...","level":"info","component":"bridge","message":"job created","job":"j1",...}
// A message without fields may still be formatted with fmt:
//   log::info("experiment", "{} runs in {:.2f} s", n, seconds);
// Thread-safe; the level and format are set once at start-up by the program.
#pragma once

#include <fmt/format.h>

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>

namespace synergai::log {

enum class Level { trace, debug, info, warn, error, off };
enum class Format { text, json };

std::optional<Level> parse_level(std::string_view name);
std::optional<Format> parse_format(std::string_view name);

void configure(Level level, Format format);
bool enabled(Level level);

// One field of a line. Numbers and booleans stay numbers and booleans in
// JSON; anything else is text (std::string, string_view, C strings).
struct Field {
  using Value = std::variant<std::string, std::int64_t, std::uint64_t, double, bool>;
  std::string key;
  Value value;

  template <class T>
  Field(std::string_view k, const T& v) : key{k}, value{convert(v)} {}

 private:
  template <class T>
  static Value convert(const T& v) {
    if constexpr (std::is_same_v<T, bool>) return v;
    else if constexpr (std::is_floating_point_v<T>) return static_cast<double>(v);
    else if constexpr (std::is_integral_v<T> && std::is_signed_v<T>) return static_cast<std::int64_t>(v);
    else if constexpr (std::is_integral_v<T>) return static_cast<std::uint64_t>(v);
    else return std::string{std::string_view{v}};
  }
};
using Fields = std::initializer_list<Field>;

// The line as it is written (without the time and the newline): exposed for
// tests of the format.
std::string format_text(Level level, std::string_view component, std::string_view message, Fields fields);
std::string format_json(Level level, std::string_view component, std::string_view message, Fields fields,
                        std::string_view time);

void write(Level level, std::string_view component, std::string_view message, Fields fields = {});

inline void debug(std::string_view component, std::string_view message, Fields fields) {
  if (enabled(Level::debug)) write(Level::debug, component, message, fields);
}
inline void info(std::string_view component, std::string_view message, Fields fields) {
  if (enabled(Level::info)) write(Level::info, component, message, fields);
}
inline void warn(std::string_view component, std::string_view message, Fields fields) {
  if (enabled(Level::warn)) write(Level::warn, component, message, fields);
}
inline void error(std::string_view component, std::string_view message, Fields fields) {
  if (enabled(Level::error)) write(Level::error, component, message, fields);
}

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
