// Reading configuration files with helpful errors.
//
// A `Document` is a parsed YAML or JSON file as a JSON value tree, plus where
// (line:column) each value stood in the file when the parser knows it. A
// `Cursor` walks it by field path (`nodes[2].power_modes[4].max_mhz`) and
// reports every problem to `Diagnostics` instead of throwing, so a loader
// collects all errors of a file and throws them together at the end.
#pragma once

#include "support/errors.hpp"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace synergai::config {

struct Mark {
  int line = 0;    // 1-based
  int column = 0;  // 1-based
};

struct Diagnostic {
  std::string file;
  std::optional<Mark> mark;
  std::string path;  // empty: the document as a whole
  std::string message;
};

// "file:line:col: path: message"
std::string describe(const Diagnostic& d);

// Thrown by loaders: every problem found in one or more files.
class ValidationError : public InputError {
 public:
  explicit ValidationError(std::vector<Diagnostic> diagnostics);
  const std::vector<Diagnostic>& diagnostics() const { return diagnostics_; }

 private:
  std::vector<Diagnostic> diagnostics_;
};

struct Document {
  std::string file;  // as given by the user, for messages
  nlohmann::json root;
  std::map<std::string, Mark> marks;  // field path -> position (YAML files only)

  std::optional<Mark> mark_of(const std::string& path) const;
};

// Parse a file or text; malformed input, an unreadable file or a duplicate key
// throws ValidationError naming the file and position.
Document read_yaml_file(const std::filesystem::path& path);
Document read_json_file(const std::filesystem::path& path);
Document parse_yaml(std::string_view text, std::string file);
Document parse_json(std::string_view text, std::string file);

class Diagnostics {
 public:
  void add(Diagnostic d) { items_.push_back(std::move(d)); }
  bool empty() const { return items_.empty(); }
  const std::vector<Diagnostic>& items() const { return items_; }
  void throw_if_any() const;

 private:
  std::vector<Diagnostic> items_;
};

// A position in a document. Cheap to copy. Accessors that find the wrong type
// (or a missing required value) report it and return nothing.
class Cursor {
 public:
  Cursor(const Document& doc, Diagnostics& diagnostics);

  const std::string& path() const { return path_; }
  bool present() const { return value_ != nullptr && !value_->is_null(); }
  const nlohmann::json* raw() const { return value_; }

  Cursor field(std::string_view key) const;
  // The elements of an array; reports a missing value, a non-array or an
  // empty array (when `allow_empty` is false).
  std::vector<Cursor> items(bool allow_empty = false) const;
  // Checks that this is an object with no keys outside `allowed`.
  bool object(std::initializer_list<std::string_view> allowed) const;
  // The keys of an object, sorted.
  std::vector<std::string> keys() const;

  std::optional<std::string> string() const;  // non-empty string
  std::optional<std::string> string_in(std::initializer_list<std::string_view> choices) const;
  std::optional<long long> integer(long long min, long long max) const;
  std::optional<double> number(double min, double max, bool min_exclusive = false) const;
  std::optional<bool> boolean() const;

  // A path to an existing regular file; a relative one is resolved against `base`.
  std::optional<std::filesystem::path> existing_file(const std::filesystem::path& base) const;

  // Optional fields: nothing is reported when absent.
  std::optional<std::string> optional_string() const { return present() ? string() : std::nullopt; }

  void error(std::string message) const;
  void expected(std::string_view what) const;  // "expected <what>, found <value>"

 private:
  Cursor(const Document* doc, Diagnostics* diagnostics, const nlohmann::json* value, std::string path);

  const Document* doc_;
  Diagnostics* diagnostics_;
  const nlohmann::json* value_;
  std::string path_;
};

// How a value reads in an error message: `"abc"`, `12`, `a list`, `nothing`.
std::string describe_value(const nlohmann::json* value);

}  // namespace synergai::config
