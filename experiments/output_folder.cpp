#include "experiments/output_folder.hpp"

#include "support/errors.hpp"

#include <fmt/format.h>

#include <cctype>
#include <ctime>
#include <unistd.h>

namespace synergai::experiments {
namespace {

namespace fs = std::filesystem;

// Empty string: may write. Otherwise why not.
std::string refusal(const fs::path& target, bool replace) {
  std::error_code ec;
  auto status = fs::symlink_status(target, ec);
  if (ec || status.type() == fs::file_type::not_found) return "";
  if (status.type() != fs::file_type::directory)
    return fmt::format("output {} exists and is not a folder; choose another --out", target.string());
  if (fs::is_empty(target, ec) && !ec) return "";
  if (!replace)
    return fmt::format("output folder {} exists and is not empty; choose another --out, or pass --replace to replace "
                       "a previous experiment's results",
                       target.string());
  if (!fs::is_regular_file(target / "summary.json", ec))
    return fmt::format("output folder {} is not a previous experiment's results (no summary.json); --replace only "
                       "replaces those, so choose another --out",
                       target.string());
  return "";
}

}  // namespace

OutputFolder::OutputFolder(fs::path target, bool replace) : target_{std::move(target)}, replace_{replace} {
  if (target_.filename().empty()) target_ = target_.parent_path();  // "dir/" names "dir"
  if (auto why = refusal(target_, replace_); !why.empty()) throw InputError{why};
  auto parent = fs::absolute(target_).parent_path();
  std::error_code ec;
  fs::create_directories(parent, ec);
  if (ec) throw RuntimeError{fmt::format("cannot create {}: {}", parent.string(), ec.message())};
  staging_ = parent / fmt::format(".{}.tmp-{}", target_.filename().string(), ::getpid());
  fs::remove_all(staging_, ec);
  fs::create_directory(staging_, ec);
  if (ec) throw RuntimeError{fmt::format("cannot create {}: {}", staging_.string(), ec.message())};
}

OutputFolder::~OutputFolder() {
  if (committed_) return;
  std::error_code ec;
  fs::remove_all(staging_, ec);
}

void OutputFolder::commit() {
  if (auto why = refusal(target_, replace_); !why.empty()) throw RuntimeError{why};
  std::error_code ec;
  fs::path old;
  if (fs::exists(target_, ec)) {
    old = staging_.parent_path() / fmt::format(".{}.old-{}", target_.filename().string(), ::getpid());
    fs::rename(target_, old, ec);
    if (ec) throw RuntimeError{fmt::format("cannot move {} aside: {}", target_.string(), ec.message())};
  }
  fs::rename(staging_, target_, ec);
  if (ec) {
    std::error_code back;
    if (!old.empty()) fs::rename(old, target_, back);
    throw RuntimeError{fmt::format("cannot move results into {}: {}", target_.string(), ec.message())};
  }
  committed_ = true;
  if (!old.empty()) fs::remove_all(old, ec);
}

fs::path default_output_folder(const fs::path& root, const std::string& experiment_name) {
  std::string name;
  for (char c : experiment_name)
    name += (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-') ? c : '-';
  if (name.empty() || name == "." || name == "..") name = "experiment";
  std::time_t now = std::time(nullptr);
  std::tm local{};
  ::localtime_r(&now, &local);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &local);
  auto base = root / fmt::format("{}-{}", name, stamp);
  auto candidate = base;
  for (int i = 2; fs::exists(candidate); ++i) candidate = fs::path{fmt::format("{}-{}", base.string(), i)};
  return candidate;
}

}  // namespace synergai::experiments
