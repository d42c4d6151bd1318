// The log line formats of support/log.hpp: text with key=value fields (quoted
// when needed), or one JSON object per line with each field as a key.
#include "support/log.hpp"

#include <nlohmann/json.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>

namespace synergai::log {
namespace {

constexpr std::array<std::string_view, 6> level_names{"trace", "debug", "info", "warn", "error", "off"};

std::atomic<Level> current_level{Level::info};
std::atomic<Format> current_format{Format::text};
std::mutex output_mutex;

std::string timestamp() {
  // Logs are the one place that reads the wall clock: they are for people.
  auto now = std::chrono::system_clock::now();
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm utc{};
  gmtime_r(&secs, &utc);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", utc.tm_year + 1900, utc.tm_mon + 1,
                     utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, ms % 1000);
}

}  // namespace

std::optional<Level> parse_level(std::string_view name) {
  for (std::size_t i = 0; i < level_names.size(); ++i)
    if (level_names[i] == name) return static_cast<Level>(i);
  return std::nullopt;
}

std::optional<Format> parse_format(std::string_view name) {
  if (name == "text") return Format::text;
  if (name == "json") return Format::json;
  return std::nullopt;
}

void configure(Level level, Format format) {
  current_level = level;
  current_format = format;
}

bool enabled(Level level) { return level != Level::off && level >= current_level.load(); }

namespace {

// A text value is written bare when it holds nothing that would split or
// confuse the line; otherwise quoted, with quotes, backslashes and control
// characters escaped (one line per entry, whatever the value).
bool needs_quotes(std::string_view v) {
  if (v.empty()) return true;
  for (char c : v) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || c == '"' || c == '=' || c == '\\' || u == 0x7f) return true;
  }
  return false;
}

void append_quoted(std::string& out, std::string_view v) {
  out += '"';
  for (char c : v) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) out += fmt::format("\\x{:02x}", static_cast<unsigned char>(c));
        else out += c;
    }
  }
  out += '"';
}

std::string value_text(const Field::Value& v) {
  return std::visit(
      [](const auto& x) -> std::string {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::string>) return x;
        else if constexpr (std::is_same_v<T, bool>) return x ? "true" : "false";
        else return fmt::format("{}", x);
      },
      v);
}

// Keys of every JSON line; a field of the same name gets a trailing '_'.
bool reserved(std::string_view key) {
  return key == "time" || key == "level" || key == "component" || key == "message";
}

}  // namespace

std::string format_text(Level level, std::string_view component, std::string_view message, Fields fields) {
  std::string line = fmt::format("{:<5} [{}] ", level_names[static_cast<std::size_t>(level)], component);
  // The message is free text, but one entry stays one line.
  for (char c : message) line += c == '\n' || c == '\r' ? ' ' : c;
  for (const auto& f : fields) {
    line += ' ';
    line += f.key;
    line += '=';
    auto text = value_text(f.value);
    if (std::holds_alternative<std::string>(f.value) && needs_quotes(text)) append_quoted(line, text);
    else line += text;
  }
  return line;
}

std::string format_json(Level level, std::string_view component, std::string_view message, Fields fields,
                        std::string_view time) {
  nlohmann::ordered_json j{{"time", time},
                           {"level", level_names[static_cast<std::size_t>(level)]},
                           {"component", component},
                           {"message", message}};
  for (const auto& f : fields) {
    std::string key = reserved(f.key) ? f.key + "_" : f.key;
    std::visit([&](const auto& x) { j[key] = x; }, f.value);
  }
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void write(Level level, std::string_view component, std::string_view message, Fields fields) {
  std::string line = current_format == Format::json ? format_json(level, component, message, fields, timestamp())
                                                    : timestamp() + " " + format_text(level, component, message, fields);
  std::lock_guard lock{output_mutex};
  std::fputs(line.c_str(), stderr);
  std::fputc('\n', stderr);
}

}  // namespace synergai::log
