// A generated corpus: seeded mutations of every LoadGen and nvpmodel fixture
// (truncations, byte flips, deleted, duplicated and swapped lines, splices,
// inserted separators). Every input must parse or raise InputError; anything
// else (another exception, a crash, a sanitizer report) fails.
#include "profiling/loadgen_log.hpp"
#include "profiling/nvpmodel.hpp"
#include "support/errors.hpp"
#include "support/random.hpp"
#include "tests/support.hpp"

#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

using namespace synergai;
using namespace synergai::profiling;

namespace {

std::vector<std::string> read_folder(const std::string& folder) {
  std::vector<std::filesystem::path> paths;
  for (const auto& e : std::filesystem::directory_iterator(test::source_path(folder))) paths.push_back(e.path());
  std::sort(paths.begin(), paths.end());
  std::vector<std::string> out;
  for (const auto& p : paths) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    out.push_back(ss.str());
  }
  return out;
}

std::vector<std::string> split_lines(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string line;
  while (std::getline(ss, line)) out.push_back(line);
  return out;
}

std::string join(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

std::string mutate(Random& r, const std::string& text, const std::string& other) {
  static const char* const tokens[] = {":", " : ", "<", ">", "=", "-1", "*", "\n", "\0", "\xff", ":::MLLOG {",
                                       "{\"key\":", "99.9th percentile latency (ns)", "nan", "1e999", "PARAM",
                                       "< POWER_MODEL ID=", "Result is : ", "ERROR encountered", "\"pid\":"};
  std::string s = text;
  int steps = 1 + static_cast<int>(r.below(4));
  for (int i = 0; i < steps; ++i) {
    switch (r.below(8)) {
      case 0:  // truncate
        s.resize(r.below(s.size() + 1));
        break;
      case 1:  // flip bytes
        for (int k = 0; k < 4 && !s.empty(); ++k) s[r.below(s.size())] = static_cast<char>(r.below(256));
        break;
      case 2: {  // delete a line
        auto lines = split_lines(s);
        if (!lines.empty()) lines.erase(lines.begin() + static_cast<std::ptrdiff_t>(r.below(lines.size())));
        s = join(lines);
        break;
      }
      case 3: {  // duplicate a line
        auto lines = split_lines(s);
        if (!lines.empty()) {
          auto at = r.below(lines.size());
          lines.insert(lines.begin() + static_cast<std::ptrdiff_t>(at), lines[at]);
        }
        s = join(lines);
        break;
      }
      case 4: {  // swap two lines
        auto lines = split_lines(s);
        if (lines.size() > 1) std::swap(lines[r.below(lines.size())], lines[r.below(lines.size())]);
        s = join(lines);
        break;
      }
      case 5: {  // splice with another file
        auto a = r.below(s.size() + 1);
        auto b = r.below(other.size() + 1);
        s = s.substr(0, a) + other.substr(b);
        break;
      }
      case 6: {  // insert a token
        std::string t = tokens[r.below(std::size(tokens))];
        if (t.empty()) t = std::string(1, '\0');
        s.insert(r.below(s.size() + 1), t);
        break;
      }
      default: {  // cut a line in the middle
        auto lines = split_lines(s);
        if (!lines.empty()) {
          auto& l = lines[r.below(lines.size())];
          l.resize(r.below(l.size() + 1));
        }
        s = join(lines);
        break;
      }
    }
  }
  return s;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(robustness)

BOOST_AUTO_TEST_CASE(mutated_inputs_never_crash) {
  auto logs = read_folder("tests/data/loadgen");
  auto confs = read_folder("tests/data/nvpmodel");
  BOOST_REQUIRE(logs.size() >= 12u);
  BOOST_REQUIRE(confs.size() >= 6u);
  Random r{derive_seed(20250101, "robustness")};
  int inputs = 0, parsed = 0, rejected = 0;
  auto check = [&](auto&& parse, const std::string& input) {
    ++inputs;
    try {
      parse(input);
      ++parsed;
    } catch (const InputError&) {
      ++rejected;
    } catch (const std::exception& e) {
      BOOST_ERROR("input " << inputs << " raised " << e.what());
    }
  };
  constexpr int per_file = 250;
  for (std::size_t f = 0; f < logs.size(); ++f)
    for (int i = 0; i < per_file; ++i) {
      auto input = mutate(r, logs[f], logs[r.below(logs.size())]);
      check([](const std::string& s) {
        auto l = parse_loadgen_log(s, "fuzz");
        (void)to_json(l).dump();
      }, input);
    }
  for (std::size_t f = 0; f < confs.size(); ++f)
    for (int i = 0; i < per_file; ++i) {
      auto input = mutate(r, confs[f], confs[r.below(confs.size())]);
      check([](const std::string& s) {
        auto m = parse_nvpmodel(s, "fuzz");
        ImportOptions o;
        o.unlimited_cpu_mhz = 1000;
        for (const auto& mode : m.modes) o.budgets[mode.id] = 10.0;
        (void)testbed_yaml(m, o);
      }, input);
    }
  BOOST_TEST_MESSAGE("robustness corpus: " << inputs << " inputs, " << parsed << " parsed, " << rejected << " rejected");
  BOOST_TEST(inputs == static_cast<int>((logs.size() + confs.size()) * per_file));
  // Both outcomes occur: the corpus is neither all-valid nor all-garbage.
  BOOST_TEST(parsed > inputs / 20);
  BOOST_TEST(rejected > inputs / 5);
}

BOOST_AUTO_TEST_SUITE_END()
