#include "config/document.hpp"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <cmath>
#include <fstream>
#include <limits>
#include <regex>
#include <set>
#include <sstream>

namespace synergai::config {
namespace {

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in{path, std::ios::binary};
  if (!in) {
    std::error_code ec;
    auto why = std::filesystem::exists(path, ec) ? "cannot be read" : "does not exist";
    throw ValidationError{{Diagnostic{path.string(), std::nullopt, "", fmt::format("file {}", why)}}};
  }
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

Mark mark_at_offset(std::string_view text, std::size_t offset) {
  Mark m{1, 1};
  for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++m.line;
      m.column = 1;
    } else {
      ++m.column;
    }
  }
  return m;
}

// --- YAML -> JSON, with marks ------------------------------------------------

// Plain (unquoted) scalars get YAML 1.2 core-schema types; quoted ones stay strings.
nlohmann::json resolve_plain_scalar(const std::string& s) {
  static const std::regex int_re{R"([-+]?[0-9]+)"};
  static const std::regex float_re{R"([-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?)"};
  if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") return nullptr;
  if (s == "true" || s == "True" || s == "TRUE") return true;
  if (s == "false" || s == "False" || s == "FALSE") return false;
  if (std::regex_match(s, int_re)) {
    try {
      return std::stoll(s);
    } catch (const std::out_of_range&) {
      return s;
    }
  }
  if (std::regex_match(s, float_re)) return std::stod(s);
  if (s == ".inf" || s == "+.inf") return std::numeric_limits<double>::infinity();
  if (s == "-.inf") return -std::numeric_limits<double>::infinity();
  if (s == ".nan") return std::numeric_limits<double>::quiet_NaN();
  return s;
}

struct YamlConverter {
  Document& doc;
  std::vector<Diagnostic>& errors;

  nlohmann::json convert(const YAML::Node& node, const std::string& path) {
    const auto& m = node.Mark();
    if (!m.is_null()) doc.marks[path] = Mark{m.line + 1, m.column + 1};
    switch (node.Type()) {
      case YAML::NodeType::Null:
      case YAML::NodeType::Undefined:
        return nullptr;
      case YAML::NodeType::Scalar:
        if (node.Tag() == "!") return node.Scalar();
        try {
          return resolve_plain_scalar(node.Scalar());
        } catch (const std::out_of_range&) {  // a float beyond a double's range (1e999, 1e-999)
          errors.push_back({doc.file, doc.mark_of(path), path,
                            fmt::format("expected a number a double can hold, found {}", node.Scalar())});
          return nullptr;
        }
      case YAML::NodeType::Sequence: {
        auto out = nlohmann::json::array();
        std::size_t i = 0;
        for (const auto& item : node) out.push_back(convert(item, fmt::format("{}[{}]", path, i++)));
        return out;
      }
      case YAML::NodeType::Map: {
        auto out = nlohmann::json::object();
        for (const auto& kv : node) {
          const auto& km = kv.first.Mark();
          auto where = km.is_null() ? std::nullopt : std::optional<Mark>{Mark{km.line + 1, km.column + 1}};
          if (!kv.first.IsScalar()) {
            errors.push_back({doc.file, where, path, "expected a plain key, found a list or mapping used as key"});
            continue;
          }
          auto key = kv.first.Scalar();
          auto child = path.empty() ? key : path + "." + key;
          if (out.contains(key)) {
            errors.push_back({doc.file, where, child, fmt::format("duplicate key \"{}\"", key)});
            continue;
          }
          out[key] = convert(kv.second, child);
        }
        return out;
      }
    }
    return nullptr;
  }
};

// --- JSON duplicate-key detection ----------------------------------------------

// nlohmann keeps the last of two equal keys; a parser callback reports them.
struct JsonDuplicateFinder {
  struct Frame {
    bool is_object = false;
    std::string path;
    std::set<std::string> keys;
    std::string key;
    std::size_t index = 0;
  };
  std::vector<Frame> stack;
  std::vector<std::string> duplicates;

  std::string child_path() const {
    if (stack.empty()) return "";
    const auto& top = stack.back();
    if (top.is_object) return top.path.empty() ? top.key : top.path + "." + top.key;
    return fmt::format("{}[{}]", top.path, top.index);
  }
  void element_done() {
    if (!stack.empty() && !stack.back().is_object) ++stack.back().index;
  }
  bool operator()(int, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
    using E = nlohmann::json::parse_event_t;
    switch (event) {
      case E::object_start:
      case E::array_start:
        stack.push_back(Frame{event == E::object_start, child_path(), {}, {}, 0});
        break;
      case E::key: {
        auto& top = stack.back();
        top.key = parsed.get<std::string>();
        if (!top.keys.insert(top.key).second) duplicates.push_back(child_path());
        break;
      }
      case E::object_end:
      case E::array_end:
        stack.pop_back();
        element_done();
        break;
      case E::value:
        element_done();
        break;
    }
    return true;
  }
};

}  // namespace

std::string describe(const Diagnostic& d) {
  std::string out = d.file;
  if (d.mark) out += fmt::format(":{}:{}", d.mark->line, d.mark->column);
  out += ": ";
  if (!d.path.empty()) out += d.path + ": ";
  out += d.message;
  return out;
}

static std::string join_diagnostics(const std::vector<Diagnostic>& ds) {
  std::string out;
  for (const auto& d : ds) {
    if (!out.empty()) out += '\n';
    out += describe(d);
  }
  return out;
}

ValidationError::ValidationError(std::vector<Diagnostic> diagnostics)
    : InputError{join_diagnostics(diagnostics)}, diagnostics_{std::move(diagnostics)} {}

std::optional<Mark> Document::mark_of(const std::string& path) const {
  // The value's own position, else the nearest enclosing value's.
  std::string p = path;
  while (true) {
    if (auto it = marks.find(p); it != marks.end()) return it->second;
    if (p.empty()) return std::nullopt;
    auto cut = p.find_last_of(".[");
    p = cut == std::string::npos ? std::string{} : p.substr(0, cut);
  }
}

Document parse_yaml(std::string_view text, std::string file) {
  Document doc{std::move(file), nullptr, {}};
  YAML::Node root;
  try {
    root = YAML::Load(std::string{text});
  } catch (const YAML::Exception& e) {
    auto where = e.mark.is_null() ? std::nullopt : std::optional<Mark>{Mark{e.mark.line + 1, e.mark.column + 1}};
    throw ValidationError{{Diagnostic{doc.file, where, "", "malformed YAML: " + e.msg}}};
  }
  std::vector<Diagnostic> errors;
  YamlConverter converter{doc, errors};
  doc.root = converter.convert(root, "");
  if (!errors.empty()) throw ValidationError{std::move(errors)};
  return doc;
}

Document parse_json(std::string_view text, std::string file) {
  Document doc{std::move(file), nullptr, {}};
  JsonDuplicateFinder finder;
  try {
    doc.root = nlohmann::json::parse(text, std::ref(finder));
  } catch (const nlohmann::json::parse_error& e) {
    std::string what = e.what();
    if (auto cut = what.find("parse error"); cut != std::string::npos) what = what.substr(cut);
    auto offset = e.byte == 0 ? 0 : e.byte - 1;
    throw ValidationError{{Diagnostic{doc.file, mark_at_offset(text, offset), "", "malformed JSON: " + what}}};
  }
  if (!finder.duplicates.empty()) {
    std::vector<Diagnostic> errors;
    for (const auto& path : finder.duplicates)
      errors.push_back({doc.file, std::nullopt, path, "duplicate key"});
    throw ValidationError{std::move(errors)};
  }
  return doc;
}

Document read_yaml_file(const std::filesystem::path& path) { return parse_yaml(read_text(path), path.string()); }
Document read_json_file(const std::filesystem::path& path) { return parse_json(read_text(path), path.string()); }

void Diagnostics::throw_if_any() const {
  if (!items_.empty()) throw ValidationError{items_};
}

std::string describe_value(const nlohmann::json* v) {
  if (v == nullptr || v->is_null()) return "nothing";
  if (v->is_object()) return "a mapping";
  if (v->is_array()) return v->empty() ? "an empty list" : "a list";
  if (v->is_string()) return fmt::format("\"{}\"", v->get_ref<const std::string&>());
  if (v->is_boolean()) return v->get<bool>() ? "true" : "false";
  if (v->is_number_float() && !std::isfinite(v->get<double>()))  // dump() would print null
    return std::isnan(v->get<double>()) ? ".nan" : v->get<double>() > 0 ? ".inf" : "-.inf";
  return v->dump();
}

Cursor::Cursor(const Document& doc, Diagnostics& diagnostics) : Cursor{&doc, &diagnostics, &doc.root, ""} {}

Cursor::Cursor(const Document* doc, Diagnostics* diagnostics, const nlohmann::json* value, std::string path)
    : doc_{doc}, diagnostics_{diagnostics}, value_{value}, path_{std::move(path)} {}

Cursor Cursor::field(std::string_view key) const {
  std::string child = path_.empty() ? std::string{key} : fmt::format("{}.{}", path_, key);
  const nlohmann::json* v = nullptr;
  if (value_ && value_->is_object()) {
    if (auto it = value_->find(key); it != value_->end()) v = &*it;
  }
  return Cursor{doc_, diagnostics_, v, std::move(child)};
}

std::vector<Cursor> Cursor::items(bool allow_empty) const {
  std::vector<Cursor> out;
  if (!present() || !value_->is_array()) {
    expected(allow_empty ? "a list" : "a non-empty list");
    return out;
  }
  if (value_->empty() && !allow_empty) {
    expected("a non-empty list");
    return out;
  }
  for (std::size_t i = 0; i < value_->size(); ++i)
    out.push_back(Cursor{doc_, diagnostics_, &(*value_)[i], fmt::format("{}[{}]", path_, i)});
  return out;
}

bool Cursor::object(std::initializer_list<std::string_view> allowed) const {
  if (!present() || !value_->is_object()) {
    expected("a mapping");
    return false;
  }
  for (const auto& [key, _] : value_->items()) {
    bool known = false;
    for (auto a : allowed) known = known || a == key;
    if (!known) {
      std::string list;
      for (auto a : allowed) list += (list.empty() ? "" : ", ") + std::string{a};
      field(key).error(fmt::format("unknown field \"{}\" (expected one of: {})", key, list));
    }
  }
  return true;
}

std::vector<std::string> Cursor::keys() const {
  std::vector<std::string> out;
  if (present() && value_->is_object())
    for (const auto& [key, _] : value_->items()) out.push_back(key);
  return out;
}

std::optional<std::string> Cursor::string() const {
  if (!present() || !value_->is_string() || value_->get_ref<const std::string&>().empty()) {
    expected("a non-empty string");
    return std::nullopt;
  }
  return value_->get<std::string>();
}

std::optional<std::string> Cursor::string_in(std::initializer_list<std::string_view> choices) const {
  std::string list;
  for (auto c : choices) list += (list.empty() ? "" : " | ") + std::string{c};
  if (present() && value_->is_string()) {
    const auto& s = value_->get_ref<const std::string&>();
    for (auto c : choices)
      if (c == s) return s;
  }
  expected("one of " + list);
  return std::nullopt;
}

std::optional<long long> Cursor::integer(long long min, long long max) const {
  auto range = [&] {
    if (max == std::numeric_limits<long long>::max()) return fmt::format("an integer >= {}", min);
    return fmt::format("an integer in [{}, {}]", min, max);
  };
  if (!present() || !value_->is_number_integer()) {
    expected(range());
    return std::nullopt;
  }
  bool too_big = value_->is_number_unsigned() &&
                 value_->get<unsigned long long>() > static_cast<unsigned long long>(std::numeric_limits<long long>::max());
  long long v = too_big ? 0 : value_->get<long long>();
  if (too_big || v < min || v > max) {
    expected(range());
    return std::nullopt;
  }
  return v;
}

std::optional<double> Cursor::number(double min, double max, bool min_exclusive) const {
  auto range = [&] {
    std::string lower = fmt::format("{} {}", min_exclusive ? ">" : ">=", min);
    if (max == std::numeric_limits<double>::infinity()) return "a number " + lower;
    return fmt::format("a number {} and <= {}", lower, max);
  };
  if (!present() || !value_->is_number()) {
    expected(range());
    return std::nullopt;
  }
  double v = value_->get<double>();
  if (!std::isfinite(v) || v < min || v > max || (min_exclusive && v == min)) {
    expected(range());
    return std::nullopt;
  }
  return v;
}

std::optional<std::filesystem::path> Cursor::existing_file(const std::filesystem::path& base) const {
  auto s = string();
  if (!s) return std::nullopt;
  std::filesystem::path p{*s};
  if (p.is_relative()) p = base / p;
  std::error_code ec;
  if (!std::filesystem::is_regular_file(p, ec)) {
    error(fmt::format("file {} does not exist", p.string()));
    return std::nullopt;
  }
  return p.lexically_normal();
}

std::optional<bool> Cursor::boolean() const {
  if (!present() || !value_->is_boolean()) {
    expected("true or false");
    return std::nullopt;
  }
  return value_->get<bool>();
}

void Cursor::error(std::string message) const {
  diagnostics_->add(Diagnostic{doc_->file, doc_->mark_of(path_), path_, std::move(message)});
}

void Cursor::expected(std::string_view what) const {
  if (value_ == nullptr) {
    error(fmt::format("missing; expected {}", what));
  } else {
    error(fmt::format("expected {}, found {}", what, describe_value(value_)));
  }
}

}  // namespace synergai::config
