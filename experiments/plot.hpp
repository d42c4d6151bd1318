// Drawing the figures: runs gnuplot on figures.gp inside the figures folder.
// The program is `gnuplot` from PATH, or $SYNERGAI_GNUPLOT when set. Its
// output goes to figures/gnuplot.log, removed when empty.
#pragma once

#include <filesystem>
#include <string>

namespace synergai::experiments {

struct PlotResult {
  enum class Status { drawn, missing, failed } status = Status::failed;
  std::string message;  // for missing / failed: what happened and what to do
};

PlotResult render_figures(const std::filesystem::path& figures_dir);

}  // namespace synergai::experiments
