// The figures of a dictionary's characterization (`synergai profile report
// --figures DIR`): per node one panel of thread speed-ups (each engine, their
// mean, the thesis's x86 curve, linear scaling) and one of QPS per power mode,
// as NODE.png and NODE.svg, drawn by gnuplot through the same path as the
// experiments' figures (experiments/plot.hpp).
#pragma once

#include "profiling/characterization.hpp"

#include <map>
#include <string>
#include <vector>

namespace synergai::experiments {

// File name -> content: the data files, characterization.gp and figures.gp.
std::map<std::string, std::string> characterization_files(const profiling::Characterization& c);
// The figures figures.gp draws.
std::vector<std::string> characterization_figures(const profiling::Characterization& c);

}  // namespace synergai::experiments
