// report.html (experiments/report_html.hpp).
#include "experiments/report_html.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <regex>
#include <set>
#include <sstream>

namespace synergai::experiments {
namespace {

std::string escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

// Escaped text with `code` spans.
std::string inline_text(std::string_view s) {
  std::string out;
  bool code = false;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || s[i] == '`') {
      out += escape(s.substr(start, i - start));
      if (i < s.size()) {
        out += code ? "</code>" : "<code>";
        code = !code;
      }
      start = i + 1;
    }
  }
  if (code) out += "</code>";
  return out;
}

std::string trim(std::string_view s) {
  auto b = s.find_first_not_of(' ');
  auto e = s.find_last_not_of(' ');
  return b == std::string_view::npos ? "" : std::string{s.substr(b, e - b + 1)};
}

std::vector<std::string> cells(const std::string& row) {
  std::vector<std::string> out;
  std::string_view r{row};
  r = r.substr(1);  // the leading '|'
  if (!r.empty() && r.back() == '|') r.remove_suffix(1);
  std::size_t start = 0;
  for (std::size_t i = 0; i <= r.size(); ++i)
    if (i == r.size() || r[i] == '|') {
      out.push_back(trim(r.substr(start, i - start)));
      start = i + 1;
    }
  return out;
}

std::string anchor(const std::string& heading) {
  std::string out;
  for (char c : heading)
    if (std::isalnum(static_cast<unsigned char>(c))) out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    else if (!out.empty() && out.back() != '-') out += '-';
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out;
}

std::string table_html(const std::vector<std::string>& rows) {
  auto header = cells(rows[0]);
  std::vector<bool> right(header.size(), false);
  std::size_t body_from = 1;
  if (rows.size() > 1 && rows[1].find("---") != std::string::npos) {
    auto align = cells(rows[1]);
    for (std::size_t i = 0; i < align.size() && i < right.size(); ++i)
      right[i] = !align[i].empty() && align[i].back() == ':';
    body_from = 2;
  }
  auto cell = [&](const char* tag, std::size_t i, const std::string& text) {
    return fmt::format("<{}{}>{}</{}>", tag, i < right.size() && right[i] ? " class=\"num\"" : "", inline_text(text),
                       tag);
  };
  std::string out = "<table>\n<thead><tr>";
  for (std::size_t i = 0; i < header.size(); ++i) out += cell("th", i, header[i]);
  out += "</tr></thead>\n<tbody>\n";
  for (std::size_t r = body_from; r < rows.size(); ++r) {
    auto row = cells(rows[r]);
    out += "<tr>";
    for (std::size_t i = 0; i < row.size(); ++i) out += cell("td", i, row[i]);
    out += "</tr>\n";
  }
  return out + "</tbody>\n</table>\n";
}

double nice_step(double span, int target) {
  if (!(span > 0)) return 1;
  double raw = span / target;
  double p = std::pow(10, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (m * p >= raw) return m * p;
  return 10 * p;
}

std::string number(double v) { return fmt::format("{:.4g}", v); }

// One horizontal bar panel: a bar per policy, with optional whiskers.
struct Bar {
  std::string label, colour;
  double value = 0;
  double low = 0, high = 0;  // a whisker from low to high when high > low
  double lo2 = 0, hi2 = 0;   // a second, thinner range (min–max) when hi2 > lo2
};

std::string panel(double x0, double y0, double width, const std::string& title, const std::vector<Bar>& bars) {
  const double label_w = 90, row_h = 24, top = 22, axis_h = 20;
  double top_value = 0;
  for (const auto& b : bars) top_value = std::max({top_value, b.value, b.high, b.hi2});
  if (!(top_value > 0)) top_value = 1;
  const double step = nice_step(top_value, 5);
  const double max_axis = std::ceil(top_value / step) * step;
  const double plot_w = width - label_w - 16;
  auto x = [&](double v) { return x0 + label_w + plot_w * std::clamp(v, 0.0, max_axis) / max_axis; };
  const double plot_h = row_h * static_cast<double>(bars.size());
  std::string s = fmt::format("<text x=\"{}\" y=\"{}\" class=\"title\">{}</text>\n", x0, y0 + 14, escape(title));
  for (double v = 0; v <= max_axis + step / 2; v += step) {
    s += fmt::format("<line x1=\"{0:.1f}\" x2=\"{0:.1f}\" y1=\"{1}\" y2=\"{2}\" class=\"grid\"/>\n", x(v), y0 + top,
                     y0 + top + plot_h);
    s += fmt::format("<text x=\"{:.1f}\" y=\"{}\" class=\"tick\" text-anchor=\"middle\">{}</text>\n", x(v),
                     y0 + top + plot_h + axis_h - 6, number(v));
  }
  for (std::size_t i = 0; i < bars.size(); ++i) {
    const auto& b = bars[i];
    const double y = y0 + top + row_h * static_cast<double>(i);
    s += fmt::format("<text x=\"{}\" y=\"{}\" class=\"label\">{}</text>\n", x0, y + row_h / 2 + 4, escape(b.label));
    s += fmt::format("<rect x=\"{:.1f}\" y=\"{}\" width=\"{:.1f}\" height=\"{}\" fill=\"{}\"><title>{}: {}</title></rect>\n",
                     x(0), y + 4, std::max(x(b.value) - x(0), 1.0), row_h - 8, b.colour, escape(b.label),
                     number(b.value));
    if (b.hi2 > b.lo2)
      s += fmt::format("<line x1=\"{:.1f}\" x2=\"{:.1f}\" y1=\"{}\" y2=\"{}\" class=\"range\"/>\n", x(b.lo2), x(b.hi2),
                       y + row_h / 2, y + row_h / 2);
    if (b.high > b.low)
      s += fmt::format("<path d=\"M{0:.1f},{2} V{3} M{0:.1f},{4} H{1:.1f} M{1:.1f},{2} V{3}\" class=\"whisker\"/>\n",
                       x(b.low), x(b.high), y + 7, y + row_h - 7, y + row_h / 2);
    s += fmt::format("<text x=\"{:.1f}\" y=\"{}\" class=\"value\">{}</text>\n",
                     std::min(x(std::max({b.value, b.high, b.hi2})) + 4, x0 + width - 30), y + row_h / 2 + 4,
                     number(b.value));
  }
  return s;
}

// A chart of one scenario: violations per run (mean, ± sd, min–max) and the
// end-to-end p99 (mean over the seeds), a bar per policy.
std::string scenario_svg(const config::Experiment& x, const std::string& scenario,
                         const std::vector<Aggregate>& aggregates) {
  std::vector<Bar> violations, p99;
  for (std::size_t i = 0; i < x.policies.size(); ++i) {
    const auto& p = x.policies[i];
    auto it = std::find_if(aggregates.begin(), aggregates.end(),
                           [&](const Aggregate& a) { return a.scenario == scenario && a.policy == p; });
    if (it == aggregates.end()) continue;
    auto colour = policy_colour(p, i);
    violations.push_back(Bar{policy_label(p), colour, it->violations_mean,
                             std::max(0.0, it->violations_mean - it->violations_sd),
                             it->violations_mean + it->violations_sd, it->violations_min, it->violations_max});
    p99.push_back(Bar{policy_label(p), colour, it->e2e_p99, 0, 0, 0, 0});
  }
  const double width = 920, half = width / 2;
  const double height = 22 + 24 * static_cast<double>(violations.size()) + 20 + 8;
  std::string s = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" viewBox=\"0 0 {} {}\" width=\"{}\" height=\"{}\" "
      "role=\"img\" aria-label=\"{}: violations and end-to-end p99 per policy\" data-scenario=\"{}\">\n",
      width, height, width, height, escape(scenario), escape(scenario));
  s += panel(0, 0, half - 10, "QoS violations per run (mean; ± sd; thin: min–max)", violations);
  s += panel(half + 10, 0, half - 10, "end-to-end p99 (s, mean over the seeds)", p99);
  return s + "</svg>\n";
}

std::string settings_table(const config::Experiment& x, const std::string& testbed_name) {
  std::vector<std::pair<std::string, std::string>> rows{
      {"experiment", x.name},
      {"testbed", fmt::format("{} ({})", testbed_name, x.testbed.string())},
      {"dictionary", x.dictionary.string()},
      {"scenarios", fmt::format("{}", fmt::join(x.scenarios, ", "))},
      {"policies", fmt::format("{}", fmt::join(x.policies, ", "))},
      {"seeds", fmt::format("1..{}", x.seeds)},
      {"jobs per run", fmt::format("{} ({} draw)", x.jobs, x.draw)},
      {"execution-time noise σ", fmt::format("{}", x.noise_sigma)},
      {"failure probability", fmt::format("{}", x.failure_probability)},
      {"tick", fmt::format("{} s", x.tick.count())},
      {"late jobs", x.late},
      {"mean inter-arrival from", x.interarrival == "total" ? "pre-processing + q/QPS" : "q/QPS"},
      {"SRR queue", x.srr_queue},
      {"baseline configuration", x.baseline_config},
      {"clairvoyant optimum", x.optimum ? fmt::format("solved, at most {} s each", x.optimum_time_limit_s) : "no"}};
  std::string out = "<table class=\"settings\">\n<tbody>\n";
  for (const auto& [k, v] : rows) out += fmt::format("<tr><th>{}</th><td>{}</td></tr>\n", escape(k), escape(v));
  return out + "</tbody>\n</table>\n";
}

constexpr const char* style = R"css(
  body { margin: 0 auto; max-width: 1100px; padding: 16px 24px 48px; font: 14px/1.45 system-ui, -apple-system,
         "Segoe UI", Roboto, sans-serif; color: #1d2430; }
  h1 { font-size: 22px; } h2 { font-size: 18px; margin-top: 28px; border-bottom: 1px solid #e3e6eb; }
  table { border-collapse: collapse; margin: 8px 0 14px; font-variant-numeric: tabular-nums; }
  th, td { padding: 3px 8px; border-bottom: 1px solid #e3e6eb; text-align: left; }
  th { font-weight: 600; } .num { text-align: right; }
  table.settings th { font-weight: 500; color: #6b7280; }
  code { font-family: ui-monospace, monospace; font-size: 12px; background: #f3f4f6; padding: 0 3px; }
  figure { margin: 10px 0 18px; } figure svg { max-width: 100%; height: auto; }
  figcaption { color: #6b7280; font-size: 12px; }
  svg.chart text { font: 12px system-ui, sans-serif; fill: #1d2430; } svg.chart .title { font-weight: 600; }
  svg.chart .tick { fill: #6b7280; font-size: 11px; } svg.chart .grid { stroke: #e3e6eb; }
  svg.chart .whisker { stroke: #1d2430; stroke-width: 1.5; fill: none; }
  svg.chart .range { stroke: #1d2430; stroke-width: 0.8; stroke-dasharray: 3 2; }
  nav a { margin-right: 12px; }
)css";

}  // namespace

std::string markdown_to_html(const std::string& markdown) {
  std::istringstream in{markdown};
  std::string line, out, paragraph;
  std::vector<std::string> table;
  auto flush = [&] {
    if (!paragraph.empty()) out += "<p>" + inline_text(paragraph) + "</p>\n";
    paragraph.clear();
    if (!table.empty()) out += table_html(table);
    table.clear();
  };
  while (std::getline(in, line)) {
    if (!line.empty() && line.front() == '|') {
      if (!paragraph.empty()) flush();
      table.push_back(line);
      continue;
    }
    if (!table.empty()) flush();
    if (line.rfind("## ", 0) == 0) {
      flush();
      auto text = line.substr(3);
      out += fmt::format("<h2 id=\"{}\">{}</h2>\n", anchor(text), inline_text(text));
    } else if (line.rfind("# ", 0) == 0) {
      flush();
      out += "<h1>" + inline_text(line.substr(2)) + "</h1>\n";
    } else if (trim(line).empty()) {
      flush();
    } else {
      paragraph += (paragraph.empty() ? "" : " ") + line;
    }
  }
  flush();
  return out;
}

std::string inline_svg(const std::string& svg_file, const std::string& prefix) {
  auto start = svg_file.find("<svg");
  if (start == std::string::npos) return "";
  std::string s = svg_file.substr(start);
  std::set<std::string> ids;
  static const std::regex id{R"re(\bid=['"]([^'"]+)['"])re"};
  for (auto it = std::sregex_iterator(s.begin(), s.end(), id); it != std::sregex_iterator(); ++it)
    ids.insert((*it)[1].str());
  // Definitions and references, each followed by the character that closes it.
  for (const auto& name : ids)
    for (const char* open : {"id='", "id=\"", "'#", "\"#", "(#"})
      for (const char* close : {"'", "\"", ")"}) {
        const std::string from = std::string{open} + name + close;
        const std::string to = std::string{open} + prefix + name + close;
        for (auto pos = s.find(from); pos != std::string::npos; pos = s.find(from, pos + to.size()))
          s.replace(pos, from.size(), to);
      }
  return s;
}

std::string report_html(const config::Experiment& x, const std::string& testbed_name,
                        const std::vector<Aggregate>& aggregates, const std::string& summary_markdown,
                        const std::vector<SvgFigure>& gnuplot_figures) {
  std::string out = "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  out += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  out += fmt::format("<title>Experiment {}</title>\n<style>{}</style>\n</head>\n<body>\n", escape(x.name), style);
  out += "<!-- Written by `synergai experiment` beside summary.md; self-contained (docs/results.md). -->\n";
  out += "<nav>";
  for (const auto& s : x.scenarios) out += fmt::format("<a href=\"#{}\">{}</a>", anchor(s), escape(s));
  out += "<a href=\"#settings\">settings</a>";
  if (!gnuplot_figures.empty()) out += "<a href=\"#figures\">figures</a>";
  out += "</nav>\n";

  // summary.md's sections, each scenario's chart after its heading.
  auto body = markdown_to_html(summary_markdown);
  for (const auto& s : x.scenarios) {
    auto heading = fmt::format("<h2 id=\"{}\">{}</h2>\n", anchor(s), inline_text(s));
    auto at = body.find(heading);
    if (at == std::string::npos) continue;
    auto chart = "<figure>" + scenario_svg(x, s, aggregates) + "</figure>\n";
    body.insert(at + heading.size(), chart);
  }
  out += body;

  out += "<h2 id=\"settings\">Settings</h2>\n" + settings_table(x, testbed_name);
  if (!gnuplot_figures.empty()) {
    out += "<h2 id=\"figures\">Figures</h2>\n";
    std::size_t n = 0;
    for (const auto& [name, svg] : gnuplot_figures) {
      auto inlined = inline_svg(svg, fmt::format("f{}-", ++n));
      if (inlined.empty()) continue;
      out += "<figure>" + inlined + fmt::format("<figcaption>figures/{}</figcaption></figure>\n", escape(name));
    }
  }
  return out + "</body>\n</html>\n";
}

}  // namespace synergai::experiments
