// Where an experiment writes: everything goes to a hidden staging folder next
// to the target, which is renamed into place only once complete, so a failed
// or interrupted experiment leaves no partial results behind.
//
// The target may be absent or an empty folder. An existing non-empty folder is
// refused, unless `replace` is set and the folder holds a previous
// experiment's output (a summary.json): then it is replaced as a whole at
// commit time. Anything else (a file, a foreign folder) is never touched.
#pragma once

#include <filesystem>
#include <string>

namespace synergai::experiments {

class OutputFolder {
 public:
  // Throws InputError when the target may not be written (see above), before
  // creating anything but the target's parent folders.
  OutputFolder(std::filesystem::path target, bool replace);
  ~OutputFolder();  // removes the staging folder unless committed
  OutputFolder(const OutputFolder&) = delete;
  OutputFolder& operator=(const OutputFolder&) = delete;

  const std::filesystem::path& staging() const { return staging_; }
  const std::filesystem::path& target() const { return target_; }
  // Moves the staging folder into place. Throws RuntimeError.
  void commit();

 private:
  std::filesystem::path target_;
  std::filesystem::path staging_;
  bool replace_ = false;
  bool committed_ = false;
};

// results/<name>-<YYYYmmdd-HHMMSS> (local time) under `root`, with a -2, -3 ...
// suffix if that exists; characters other than [A-Za-z0-9._-] in the name
// become '-'.
std::filesystem::path default_output_folder(const std::filesystem::path& root, const std::string& experiment_name);

}  // namespace synergai::experiments
