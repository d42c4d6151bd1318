#include "engine/onnx_input.hpp"

#include "support/errors.hpp"

#include <fmt/format.h>

#include <fstream>
#include <optional>
#include <set>

namespace synergai::engine {
namespace {

// Protobuf wire format, read from a stream (the weights are skipped with
// seeks, never read: a ResNet-50 file is ~100 MB).
class WireReader {
 public:
  WireReader(std::ifstream& in, const std::filesystem::path& file) : in_{in}, file_{file} {}

  std::uint64_t varint() {
    std::uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      int c = in_.get();
      if (c == std::char_traits<char>::eof()) fail("truncated varint");
      v |= static_cast<std::uint64_t>(c & 0x7f) << shift;
      if (!(c & 0x80)) return v;
    }
    fail("overlong varint");
  }

  // Next field key before `end`, or nothing at `end`.
  std::optional<std::pair<std::uint32_t, int>> key(std::uint64_t end) {
    auto pos = position();
    if (pos >= end) {
      if (pos > end) fail("a field runs past its message");
      return std::nullopt;
    }
    auto k = varint();
    return std::pair{static_cast<std::uint32_t>(k >> 3), static_cast<int>(k & 7)};
  }

  std::uint64_t length_end() {
    auto len = varint();
    auto end = position() + len;
    if (end > size_) fail("a length runs past the end of the file");
    return end;
  }

  void skip(int wire_type) {
    switch (wire_type) {
      case 0: varint(); break;
      case 1: seek(position() + 8); break;
      case 2: seek(length_end()); break;
      case 5: seek(position() + 4); break;
      default: fail(fmt::format("unsupported wire type {}", wire_type));
    }
  }

  std::string string(std::uint64_t end) {
    std::string s(static_cast<std::size_t>(end - position()), '\0');
    in_.read(s.data(), static_cast<std::streamsize>(s.size()));
    if (!in_) fail("truncated string");
    return s;
  }

  std::uint64_t position() { return static_cast<std::uint64_t>(in_.tellg()); }
  void seek(std::uint64_t p) {
    if (p > size_) fail("a field runs past the end of the file");
    in_.seekg(static_cast<std::streamoff>(p));
  }
  void set_size(std::uint64_t s) { size_ = s; }
  std::uint64_t size() const { return size_; }

  [[noreturn]] void fail(const std::string& what) {
    throw InputError{fmt::format("{}: not a valid ONNX model ({})", file_.string(), what)};
  }

 private:
  std::ifstream& in_;
  const std::filesystem::path& file_;
  std::uint64_t size_ = 0;
};

// ValueInfoProto { name = 1; type = 2 } -> TypeProto { tensor_type = 1 } ->
// Tensor { elem_type = 1; shape = 2 } -> TensorShapeProto { dim = 1 } ->
// Dimension { dim_value = 1; dim_param = 2 }.
ModelInput read_value_info(WireReader& r, std::uint64_t end) {
  ModelInput in;
  while (auto k = r.key(end)) {
    if (k->first == 1 && k->second == 2) {
      in.name = r.string(r.length_end());
    } else if (k->first == 2 && k->second == 2) {
      auto type_end = r.length_end();
      while (auto t = r.key(type_end)) {
        if (t->first != 1 || t->second != 2) {
          r.skip(t->second);
          continue;
        }
        auto tensor_end = r.length_end();
        while (auto f = r.key(tensor_end)) {
          if (f->first == 1 && f->second == 0) {
            in.elem_type = static_cast<int>(r.varint());
          } else if (f->first == 2 && f->second == 2) {
            auto shape_end = r.length_end();
            while (auto d = r.key(shape_end)) {
              if (d->first != 1 || d->second != 2) {
                r.skip(d->second);
                continue;
              }
              auto dim_end = r.length_end();
              std::int64_t value = -1;
              while (auto v = r.key(dim_end)) {
                if (v->first == 1 && v->second == 0) value = static_cast<std::int64_t>(r.varint());
                else r.skip(v->second);
              }
              in.dims.push_back(value > 0 ? value : -1);
            }
          } else {
            r.skip(f->second);
          }
        }
      }
    } else {
      r.skip(k->second);
    }
  }
  return in;
}

}  // namespace

ModelInput read_model_input(const std::filesystem::path& model) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(model, ec))
    throw InputError{fmt::format("{}: no such model file", model.string())};
  std::ifstream in{model, std::ios::binary};
  if (!in) throw InputError{fmt::format("{}: cannot be opened", model.string())};
  WireReader r{in, model};
  r.set_size(std::filesystem::file_size(model));

  std::vector<ModelInput> inputs;
  std::set<std::string> initializers;
  bool graph = false;
  while (auto k = r.key(r.size())) {
    if (k->first != 7 || k->second != 2) {  // ModelProto.graph = 7
      r.skip(k->second);
      continue;
    }
    graph = true;
    auto graph_end = r.length_end();
    while (auto g = r.key(graph_end)) {
      if (g->first == 11 && g->second == 2) {  // GraphProto.input
        inputs.push_back(read_value_info(r, r.length_end()));
      } else if (g->first == 5 && g->second == 2) {  // GraphProto.initializer: only its name (8)
        auto init_end = r.length_end();
        while (auto t = r.key(init_end)) {
          if (t->first == 8 && t->second == 2) initializers.insert(r.string(r.length_end()));
          else r.skip(t->second);
        }
      } else {
        r.skip(g->second);
      }
    }
  }
  if (!graph) r.fail("no graph");
  for (auto& i : inputs)
    if (!initializers.count(i.name)) return i;
  throw InputError{fmt::format("{}: the model's graph has no input", model.string())};
}

}  // namespace synergai::engine
