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

void write(Level level, std::string_view component, std::string_view message) {
  auto name = level_names[static_cast<std::size_t>(level)];
  std::string line;
  if (current_format == Format::json) {
    nlohmann::json j{{"time", timestamp()}, {"level", name}, {"component", component}, {"message", message}};
    line = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  } else {
    line = fmt::format("{} {:<5} [{}] {}", timestamp(), name, component, message);
  }
  std::lock_guard lock{output_mutex};
  std::fputs(line.c_str(), stderr);
  std::fputc('\n', stderr);
}

}  // namespace synergai::log
