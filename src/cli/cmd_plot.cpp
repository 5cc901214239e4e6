// cmd_plot.cpp — `symkl plot`: one learning-curve chart from one or more metrics.csv files,
// or a grid of images from the rows of CSV files.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "app/args.h"
#include "cli/commands.h"
#include "io/csv.h"
#include "io/file.h"
#include "io/json.h"
#include "io/text.h"
#include "plot/figures.h"
#include "tensor/error.h"

static const CommandSpec PLOT = {
    "plot",
    "Draw one column of metrics.csv files against the step as an SVG line chart: one line per\n"
    "run, or with --group-by-label the median and min-max band of the runs sharing a label.\n"
    "With --images, draw the rows of CSV files (e.g. samples of 8x8 digits) as a PNG grid of images.",
    "symkl plot --metrics FILE[,FILE...] [--labels L1,L2,...] [--group-by-label] [--y COLUMN]\n"
    "                  [--y-scale auto|linear|log|symlog] --out FIG.svg\n"
    "       symkl plot --images FILE.csv[,FILE.csv...] [--image-size 8x8] [--grid 10x10] [--labels ...]\n"
    "                  [--range LO,HI] [--zoom Z] --out GRID.png",
    "Files and labels:\n"
    "  --metrics takes metrics.csv files written by symkl train or compare; a directory stands for\n"
    "  its metrics.csv, or else every DIR/*/metrics.csv (sorted by name), so a compare directory\n"
    "  can be given as it is. Without --labels a run is labelled by its directory's name\n"
    "  (runs/compare/mle-seed3/metrics.csv -> mle-seed3); with --group-by-label a trailing\n"
    "  '-seed<N>' is dropped from those names, so the seeds of one method form one group.\n"
    "  Two runs with the same label need --group-by-label. The title names the data set(s) of\n"
    "  the runs' config.json files and the labels: 'moons · mle, jeffreys: test NLL (nats)'.\n"
    "\n"
    "Columns (--y): step, loss, train_nll, test_nll, fwd_kl, rev_kl, jeffreys, grad_norm, lambda,\n"
    "  u, proxy_nll, rev_kl_proxy, ess, skipped. 'nan' values leave gaps in the line; the median\n"
    "  and range at a step use the runs with a finite value there.\n"
    "\n"
    "The y axis (--y-scale): auto chooses log when every value is positive and they span more\n"
    "  than two decades (max > 100 x min), symlog (linear near 0, logarithmic beyond) when some\n"
    "  are <= 0 and the largest magnitude is over 100 times the bulk's, else linear; so one huge\n"
    "  step-0 value does not flatten the curve. On a log axis values <= 0 leave gaps.\n"
    "\n"
    "Images (--images): every row of each CSV file (numeric columns, optional header) is one\n"
    "  image of --image-size W x H pixels (W*H columns, row by row); the first C*R rows are drawn\n"
    "  as a --grid of C x R images, each pixel --zoom times, from white (--range LO) to black\n"
    "  (HI; default: the smallest and largest value of all the files). Several files give grids\n"
    "  side by side with a shared grey scale, labelled by --labels or the files' names.\n"
    "\n"
    "examples:\n"
    "  symkl plot --metrics runs/moons/metrics.csv --y jeffreys --out jeffreys.svg\n"
    "  symkl plot --metrics runs/compare --group-by-label --y test_nll --out test_nll.svg\n"
    "  symkl plot --metrics a/metrics.csv,b/metrics.csv --labels mle,jeffreys --y rev_kl --y-scale log --out rev.svg\n"
    "  symkl plot --images mle.csv,jeffreys.csv --labels mle,jeffreys --image-size 8x8 --range 0,16 --out digits.png\n",
    {
        {"--metrics", "FILES", "", "metrics.csv files or run directories, comma-separated"},
        {"--images", "FILES", "", "CSV files whose rows are images, comma-separated (instead of --metrics)"},
        {"--labels", "LIST", "", "one label per file, comma-separated [default: directory or file names]"},
        {"--group-by-label", nullptr, "", "aggregate runs sharing a label: median line and min-max band"},
        {"--y", "COLUMN", "test_nll", "the column to draw against step"},
        {"--y-scale", "SCALE", "auto", "auto, linear, log or symlog"},
        {"--log-y", nullptr, "", "the same as --y-scale log"},
        {"--title", "TEXT", "", "chart title [default: the data, the labels and the column]"},
        {"--image-size", "WxH", "8x8", "pixels of one image (--images)"},
        {"--grid", "CxR", "10x10", "images across and down (--images)"},
        {"--zoom", "Z", "4", "screen pixels per image pixel (--images)"},
        {"--range", "LO,HI", "", "values drawn white and black (--images) [default: the data's range]"},
        {"--out", "FILE", "", "the SVG (--metrics) or PNG (--images) file to write (required)"},
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

// "8x8" -> 8, 8 (each from 1 to hi)
static void read_size(const Args& a, const std::string& flag, int hi, int* w, int* h) {
    const std::string v = a.str(flag);
    const size_t x = v.find('x');
    char* end = nullptr;
    long p = 0, q = 0;
    bool ok = x != std::string::npos && x > 0;
    if (ok) p = std::strtol(v.c_str(), &end, 10), ok = end == v.c_str() + x;
    if (ok) q = std::strtol(v.c_str() + x + 1, &end, 10), ok = *end == '\0' && x + 1 < v.size();
    if (!ok || p < 1 || q < 1 || p > hi || q > hi)
        a.fail(flag, "must be two integers from 1 to " + std::to_string(hi) + " joined by 'x' (e.g. 8x8), got '" +
                         excerpt(v) + "'");
    *w = (int)p, *h = (int)q;
}

static int plot_images(const Args& a, const std::string& out) {
    if (a.has("--metrics")) a.fail("--images", "and --metrics cannot be combined: draw images or curves");
    if (out.size() < 5 || out.compare(out.size() - 4, 4, ".png") != 0)
        a.fail("--out", "must name a .png file for --images, got '" + excerpt(out) + "'");
    for (const char* f : {"--group-by-label", "--log-y", "--title"})
        if (a.has(f)) a.fail(f, "applies to --metrics charts, not to --images");
    if (a.has("--y") || a.has("--y-scale")) a.fail(a.has("--y") ? "--y" : "--y-scale", "applies to --metrics charts, not to --images");
    ImageGridSpec g;
    read_size(a, "--image-size", 256, &g.width, &g.height);
    read_size(a, "--grid", 100, &g.columns, &g.rows);
    g.zoom = (int)a.integer("--zoom", 1, 32);
    if (a.has("--range")) {
        const std::vector<std::string> r = split_list(a.str("--range"));
        char* e0 = nullptr;
        char* e1 = nullptr;
        if (r.size() == 2) g.vmin = std::strtod(r[0].c_str(), &e0), g.vmax = std::strtod(r[1].c_str(), &e1);
        if (r.size() != 2 || r[0].empty() || r[1].empty() || *e0 || *e1 || !std::isfinite(g.vmin) ||
            !std::isfinite(g.vmax) || !(g.vmin < g.vmax))
            a.fail("--range", "must be two numbers LO,HI with LO < HI (e.g. 0,16), got '" + excerpt(a.str("--range")) + "'");
    }
    const std::vector<std::string> files = split_list(a.str("--images"));
    std::vector<std::string> labels;
    if (a.has("--labels")) {
        labels = split_list(a.str("--labels"));
        if (labels.size() != files.size())
            a.fail("--labels", "gives " + std::to_string(labels.size()) + " labels for " + std::to_string(files.size()) +
                                   " image files (one label per file, in the same order)");
    } else if (files.size() > 1) {
        for (const std::string& f : files) labels.push_back(std::filesystem::path(f).stem().string());
    } else {
        labels.push_back("");
    }
    std::vector<ImagePanel> panels;
    const int pixels = g.width * g.height;
    for (size_t i = 0; i < files.size(); i++) {
        if (files[i].empty()) a.fail("--images", "has an empty entry in '" + excerpt(a.str("--images")) + "'");
        const Tensor t = read_csv(files[i]);
        if (t.cols != pixels)
            throw symkl::Error(files[i] + ": has " + std::to_string(t.cols) + " columns, but " + std::to_string(g.width) +
                               "x" + std::to_string(g.height) + " images have " + std::to_string(pixels) +
                               " (give --image-size WxH with W*H = " + std::to_string(t.cols) + ")");
        ImagePanel p;
        p.label = labels[i];
        p.n_images = std::min(t.rows, g.columns * g.rows);
        for (int r = 0; r < p.n_images; r++)
            for (int c = 0; c < pixels; c++) p.values.push_back(t.at(r, c));
        panels.push_back(std::move(p));
    }
    write_image_grids(out, panels, g);
    std::printf("wrote %s: %zu grid%s of %dx%d images\n", out.c_str(), panels.size(), panels.size() == 1 ? "" : "s",
                g.width, g.height);
    return 0;
}

// The data sets the runs' config.json files name ("moons", "moons, rings"), or "" when a
// file has none next to it.
static std::string data_names(const std::vector<std::string>& files) {
    namespace fs = std::filesystem;
    std::vector<std::string> names;
    for (const std::string& f : files) {
        const fs::path cfg = fs::path(f).parent_path() / "config.json";
        std::error_code ec;
        if (!fs::is_regular_file(cfg, ec)) return "";
        try {
            const Json j = json_parse(read_file(cfg.string()), cfg.string());
            const Json* d = j.find("data");
            if (!d || !d->is_string()) return "";
            const std::string n = d->string.substr(d->string.find_last_of('/') + 1);
            if (std::find(names.begin(), names.end(), n) == names.end()) names.push_back(n);
        } catch (const symkl::Error&) {
            return "";
        }
    }
    std::string s;
    for (const std::string& n : names) s += (s.empty() ? "" : ", ") + n;
    return s;
}

int cmd_plot(int argc, char** argv) {
    bool help = false;
    const Args a = parse_args(PLOT, argc, argv, 2, &help);
    if (help) {
        std::fputs(command_help(PLOT).c_str(), stdout);
        return 0;
    }
    if (!a.has("--out")) a.fail("--out", "is required: the file to write, e.g. --out test_nll.svg");
    if (a.has("--images")) return plot_images(a, a.str("--out"));
    if (!a.has("--metrics"))
        a.fail("--metrics", "is required: the metrics.csv files to draw, or --images for image grids (see 'symkl plot --help')");
    for (const char* f : {"--image-size", "--grid", "--zoom", "--range"})
        if (a.has(f)) a.fail(f, "applies to --images, not to --metrics charts");
    const std::string out = a.str("--out"), y = a.str("--y");
    if (out.size() < 5 || out.compare(out.size() - 4, 4, ".svg") != 0)
        a.fail("--out", "must name an .svg file, got '" + excerpt(out) + "'");
    if (y.empty()) a.fail("--y", "must name a column, e.g. --y test_nll");
    const std::string scale = a.str("--y-scale");
    if (scale != "auto" && scale != "linear" && scale != "log" && scale != "symlog")
        a.fail("--y-scale", "must be auto, linear, log or symlog, got '" + excerpt(scale) + "'");
    if (a.on("--log-y") && a.has("--y-scale") && scale != "log")
        a.fail("--log-y", "contradicts --y-scale " + scale + "; give one of them");
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
    if (a.has("--title")) {
        spec.title = a.str("--title");
    } else {
        // "moons · mle, jeffreys: test_nll against step": the data (from config.json) and the labels
        std::string subject = data_names(files), who;
        for (const RunGroup& g : groups) who += (who.empty() ? "" : ", ") + g.label;
        if (!who.empty()) subject += (subject.empty() ? "" : " · ") + who;
        spec.title = (subject.empty() ? "" : subject + ": ") + y + (most >= 2 ? " (median and min-max over runs)" : "") +
                     " against step";
    }
    spec.xlabel = "step";
    spec.ylabel = column_title(y);
    spec.log_y = a.on("--log-y");
    spec.y_scale = scale == "linear" ? YScale::linear : scale == "log" ? YScale::log : scale == "symlog" ? YScale::symlog : YScale::automatic;
    write_line_chart(out, spec, series);
    std::printf("wrote %s: %s of %zu file%s in %zu line%s\n", out.c_str(), y.c_str(), files.size(),
                files.size() == 1 ? "" : "s", series.size(), series.size() == 1 ? "" : "s");
    return 0;
}
