// cmd_plot.cpp — `symkl plot`: one learning-curve chart from one or more metrics.csv files.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "app/args.h"
#include "cli/commands.h"
#include "io/text.h"
#include "plot/figures.h"
#include "tensor/error.h"

static const CommandSpec PLOT = {
    "plot",
    "Draw one column of metrics.csv files against the step as an SVG line chart: one line per\n"
    "run, or with --group-by-label the median and min-max band of the runs sharing a label.",
    "symkl plot --metrics FILE[,FILE...] [--labels L1,L2,...] [--group-by-label] [--y COLUMN]\n"
    "                  [--log-y] --out FIG.svg",
    "Files and labels:\n"
    "  --metrics takes metrics.csv files written by symkl train or compare; a directory stands for\n"
    "  its metrics.csv, or else every DIR/*/metrics.csv (sorted by name), so a compare directory\n"
    "  can be given as it is. Without --labels a run is labelled by its directory's name\n"
    "  (runs/compare/mle-seed3/metrics.csv -> mle-seed3); with --group-by-label a trailing\n"
    "  '-seed<N>' is dropped from those names, so the seeds of one method form one group.\n"
    "  Two runs with the same label need --group-by-label.\n"
    "\n"
    "Columns (--y): step, loss, train_nll, test_nll, fwd_kl, rev_kl, jeffreys, grad_norm, lambda,\n"
    "  u, proxy_nll, rev_kl_proxy, ess, skipped. 'nan' values leave gaps in the line; the median\n"
    "  and range at a step use the runs with a finite value there. On a log axis (--log-y)\n"
    "  values <= 0 cannot be shown and leave gaps too.\n"
    "\n"
    "examples:\n"
    "  symkl plot --metrics runs/moons/metrics.csv --y jeffreys --out jeffreys.svg\n"
    "  symkl plot --metrics runs/compare --group-by-label --y test_nll --out test_nll.svg\n"
    "  symkl plot --metrics a/metrics.csv,b/metrics.csv --labels mle,jeffreys --y rev_kl --log-y --out rev.svg\n",
    {
        {"--metrics", "FILES", "", "metrics.csv files or run directories, comma-separated (required)"},
        {"--labels", "LIST", "", "one label per file, comma-separated [default: directory names]"},
        {"--group-by-label", nullptr, "", "aggregate runs sharing a label: median line and min-max band"},
        {"--y", "COLUMN", "test_nll", "the column to draw against step"},
        {"--log-y", nullptr, "", "logarithmic y axis"},
        {"--title", "TEXT", "", "chart title [default: the column and what the lines show]"},
        {"--out", "FILE", "", "the SVG file to write (required)"},
    }};

static std::vector<std::string> split_list(const std::string& s) {
    std::vector<std::string> out;
    size_t start = 0;
    for (;;) {
        const size_t comma = s.find(',', start);
        out.push_back(s.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
        if (comma == std::string::npos) return out;
        start = comma + 1;
    }
}

// The metrics files an entry of --metrics stands for.
static std::vector<std::string> expand_entry(const Args& a, const std::string& entry) {
    namespace fs = std::filesystem;
    std::error_code ec;
    if (!fs::is_directory(entry, ec)) return {entry};  // a file; read_metrics names it if it is missing
    if (fs::is_regular_file(fs::path(entry) / "metrics.csv", ec)) return {(fs::path(entry) / "metrics.csv").string()};
    std::vector<std::string> found;
    for (const fs::directory_entry& d : fs::directory_iterator(entry, ec))
        if (fs::is_regular_file(d.path() / "metrics.csv", ec)) found.push_back((d.path() / "metrics.csv").string());
    if (found.empty()) a.fail("--metrics", "'" + entry + "' is a directory with no metrics.csv in it or in its subdirectories");
    std::sort(found.begin(), found.end());
    return found;
}

// The default label of a file: the name of its directory, without "-seed<N>" when grouping.
static std::string default_label(const std::string& file, bool grouping) {
    namespace fs = std::filesystem;
    const fs::path p = fs::path(file).lexically_normal();
    std::string name = p.parent_path().filename().string();
    if (name.empty() || name == ".") name = p.stem().string();
    if (grouping) {
        const size_t at = name.rfind("-seed");
        if (at != std::string::npos && at + 5 < name.size() &&
            name.find_first_not_of("0123456789", at + 5) == std::string::npos && at > 0)
            name.erase(at);
    }
    return name;
}

int cmd_plot(int argc, char** argv) {
    bool help = false;
    const Args a = parse_args(PLOT, argc, argv, 2, &help);
    if (help) {
        std::fputs(command_help(PLOT).c_str(), stdout);
        return 0;
    }
    if (!a.has("--metrics")) a.fail("--metrics", "is required: the metrics.csv files to draw (see 'symkl plot --help')");
    if (!a.has("--out")) a.fail("--out", "is required: the SVG file to write, e.g. --out test_nll.svg");
    const std::string out = a.str("--out"), y = a.str("--y");
    if (out.size() < 5 || out.compare(out.size() - 4, 4, ".svg") != 0)
        a.fail("--out", "must name an .svg file, got '" + excerpt(out) + "'");
    if (y.empty()) a.fail("--y", "must name a column, e.g. --y test_nll");
    const bool grouping = a.on("--group-by-label");

    std::vector<std::string> files;
    for (const std::string& e : split_list(a.str("--metrics"))) {
        if (e.empty()) a.fail("--metrics", "has an empty entry in '" + excerpt(a.str("--metrics")) + "' (separate files with single commas)");
        for (const std::string& f : expand_entry(a, e)) files.push_back(f);
    }
    std::vector<std::string> labels;
    if (a.has("--labels")) {
        labels = split_list(a.str("--labels"));
        if (labels.size() != files.size())
            a.fail("--labels", "gives " + std::to_string(labels.size()) + " labels for " + std::to_string(files.size()) +
                                   " metrics files (one label per file, in the same order)");
        for (const std::string& l : labels)
            if (l.empty()) a.fail("--labels", "has an empty label in '" + excerpt(a.str("--labels")) + "'");
    } else {
        for (const std::string& f : files) labels.push_back(default_label(f, grouping));
    }

    // Groups in order of first appearance.
    std::vector<RunGroup> groups;
    std::vector<std::string> first_file;
    for (size_t i = 0; i < files.size(); i++) {
        size_t g = 0;
        while (g < groups.size() && groups[g].label != labels[i]) g++;
        if (g == groups.size()) {
            groups.push_back(RunGroup{labels[i], {}});
            first_file.push_back(files[i]);
        } else if (!grouping) {
            a.fail("--labels", "gives the label '" + labels[i] + "' to both " + first_file[g] + " and " + files[i] +
                                   "; pass --group-by-label to draw their median and range, or give distinct labels");
        }
        groups[g].runs.push_back(read_metrics(files[i]));
    }

    std::vector<Series> series;
    size_t most = 0;
    for (const RunGroup& g : groups) {
        series.push_back(group_series(g, y));
        most = std::max(most, g.runs.size());
    }
    bool any = false;
    for (const Series& s : series)
        for (double v : s.y_med) any = any || std::isfinite(v);
    if (!any)
        throw symkl::Error("symkl plot: column '" + excerpt(y) + "' is nan in every row of " +
                           (files.size() == 1 ? files[0] : "all " + std::to_string(files.size()) + " files") +
                           ": nothing to draw (pick another --y)");
    // one unlabelled run needs no legend
    if (groups.size() == 1 && !a.has("--labels")) series[0].label.clear();
    ChartSpec spec;
    spec.title = a.has("--title") ? a.str("--title")
                                  : y + (most >= 2 ? " (median and min-max over runs)" : "") + " against step";
    spec.xlabel = "step";
    spec.ylabel = column_title(y);
    spec.log_y = a.on("--log-y");
    write_line_chart(out, spec, series);
    std::printf("wrote %s: %s of %zu file%s in %zu line%s\n", out.c_str(), y.c_str(), files.size(),
                files.size() == 1 ? "" : "s", series.size(), series.size() == 1 ? "" : "s");
    return 0;
}
