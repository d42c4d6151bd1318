// report.html: an experiment's results as one self-contained page, readable
// offline — the run's settings, summary.md's text and tables, a chart per
// scenario drawn here as SVG (violations and end-to-end p99 per policy), and
// the gnuplot figures inline when they were drawn. Nothing is loaded from
// elsewhere. docs/results.md describes it.
#pragma once

#include "config/experiment.hpp"
#include "experiments/report.hpp"

#include <string>
#include <utility>
#include <vector>

namespace synergai::experiments {

// A drawn figure: its file name (figures/NAME.svg) and the SVG text.
using SvgFigure = std::pair<std::string, std::string>;

std::string report_html(const config::Experiment& experiment, const std::string& testbed_name,
                        const std::vector<Aggregate>& aggregates, const std::string& summary_markdown,
                        const std::vector<SvgFigure>& gnuplot_figures);

// summary.md's subset of Markdown (headings, paragraphs, tables, `code`) as
// HTML, every text escaped.
std::string markdown_to_html(const std::string& markdown);

// The SVG element of a gnuplot file (the XML prologue and doctype dropped),
// its ids prefixed with `prefix` so that several figures share one page.
std::string inline_svg(const std::string& svg_file, const std::string& prefix);

}  // namespace synergai::experiments
