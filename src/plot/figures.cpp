// figures.cpp — density heatmap, samples scatter and learning curves (see figures.h).
#include "plot/figures.h"

#include <algorithm>
#include <cmath>

#include "tensor/error.h"
#include "tensor/rng.h"

// ---------------------------------------------------------------------------
// 2-D figures

Box data_box(const Tensor& data, double aspect) {
    if (data.cols != 2 || data.rows < 1)
        throw symkl::Error("a 2-D figure needs 2-dimensional data, got " + std::to_string(data.rows) + " points in " +
                           std::to_string(data.cols) + " dimensions");
    if (!(aspect > 0) || !std::isfinite(aspect)) throw symkl::Error("data_box: the aspect ratio must be positive");
    Box b;
    b.x0 = b.y0 = INFINITY, b.x1 = b.y1 = -INFINITY;
    for (int i = 0; i < data.rows; i++) {
        const double x = data.at(i, 0), y = data.at(i, 1);
        if (!std::isfinite(x) || !std::isfinite(y)) continue;
        b.x0 = std::min(b.x0, x), b.x1 = std::max(b.x1, x);
        b.y0 = std::min(b.y0, y), b.y1 = std::max(b.y1, y);
    }
    if (!(b.x0 <= b.x1)) throw symkl::Error("a 2-D figure needs data with at least one finite point");
    // 10% margin; a zero extent (one point, or points on a line) gets ±1 before it
    const double mx = b.x1 > b.x0 ? 0.1 * (b.x1 - b.x0) : 1, my = b.y1 > b.y0 ? 0.1 * (b.y1 - b.y0) : 1;
    b.x0 -= mx, b.x1 += mx, b.y0 -= my, b.y1 += my;
    // Equal scales: widen the axis with fewer data units per unit of aspect.
    const double w = b.x1 - b.x0, h = b.y1 - b.y0;
    if (w / h < aspect) {
        const double cx = 0.5 * (b.x0 + b.x1), half = 0.5 * h * aspect;
        b.x0 = cx - half, b.x1 = cx + half;
    } else {
        const double cy = 0.5 * (b.y0 + b.y1), half = 0.5 * w / aspect;
        b.y0 = cy - half, b.y1 = cy + half;
    }
    return b;
}

static void check_2d(const Flow& f, const Tensor& data, const std::string& path) {
    if (f.cfg.dim != 2 || data.cols != 2)
        throw symkl::Error("cannot draw '" + path + "': density and sample figures are for 2-dimensional flows and data (the flow is " +
                           std::to_string(f.cfg.dim) + "-dimensional, the data " + std::to_string(data.cols) +
                           "-dimensional)");
}

std::vector<double> flow_density_grid(const Flow& f, const Box& b, int width, int height) {
    const int n = width * height, cap = std::min(4096, n);
    FlowCache cache;
    flow_cache_init(cache, f, cap);
    Tensor x(cap, 2);             // (cap, 2) pixel centres of one chunk
    std::vector<Real> lp(cap);    // log p of one chunk
    std::vector<double> v(n);     // log p, then p / max p, per pixel
    const double dx = (b.x1 - b.x0) / width, dy = (b.y1 - b.y0) / height;
    for (int s = 0; s < n; s += cap) {
        const int m = std::min(cap, n - s);
        for (int k = 0; k < m; k++) {
            const int row = (s + k) / width, col = (s + k) % width;
            x.at(k, 0) = (Real)(b.x0 + (col + 0.5) * dx);
            x.at(k, 1) = (Real)(b.y1 - (row + 0.5) * dy);  // row 0 is the top of the image
        }
        flow_log_prob(lp.data(), x.ptr(), f, cache, m);
        for (int k = 0; k < m; k++) v[s + k] = (double)lp[k];
    }
    return normalise_log_density(v);
}

std::vector<double> toy_density_grid(Toy t, const Box& b, int width, int height) {
    const int n = width * height;
    Tensor x(n, 2);
    const double dx = (b.x1 - b.x0) / width, dy = (b.y1 - b.y0) / height;
    for (int k = 0; k < n; k++) {
        x.at(k, 0) = (Real)(b.x0 + (k % width + 0.5) * dx);
        x.at(k, 1) = (Real)(b.y1 - (k / width + 0.5) * dy);
    }
    std::vector<double> v(n);
    toy_log_density(t, x, v.data());
    return normalise_log_density(v);
}

std::vector<double> normalise_log_density(std::vector<double> v) {
    double top = -INFINITY;
    for (double l : v)
        if (std::isfinite(l)) top = std::max(top, l);
    // p / max p = exp(log p − max log p): in (0, 1], and no overflow for any log p
    for (double& l : v) l = std::isfinite(top) && std::isfinite(l) ? std::exp(l - top) : (l == -INFINITY ? 0.0 : NAN);
    return v;
}

void density_heatmap(const std::string& path, const Flow& f, const Tensor& data, int width, int height,
                     Colormap cmap) {
    check_2d(f, data, path);
    if (width < 1 || height < 1 || width > 8192 || height > 8192)
        throw symkl::Error("cannot draw '" + path + "': image size " + std::to_string(width) + "x" +
                           std::to_string(height) + " is out of range (1 to 8192 pixels each way)");
    const std::vector<double> v = flow_density_grid(f, data_box(data, (double)width / height), width, height);
    bool any = false;
    for (double p : v) any = any || (std::isfinite(p) && p > 0);
    if (!any) throw symkl::Error("cannot draw '" + path + "': log p is not finite anywhere on the grid");
    write_heatmap(path, width, height, v, 0.0, 1.0, cmap);
}

void write_heatmap_row(const std::string& path, const std::vector<std::vector<double>>& panels, int width, int height,
                       int gap, Colormap cmap) {
    const int n = (int)panels.size();
    if (n < 1 || width < 1 || height < 1 || gap < 0)
        throw symkl::Error("cannot draw '" + path + "': no panels, or a panel size below 1 pixel");
    const int W = n * width + (n - 1) * gap;
    std::vector<uint8_t> rgb((size_t)W * height * 3, 255);  // white gaps
    for (int p = 0; p < n; p++) {
        if ((int)panels[p].size() != width * height)
            throw symkl::Error("cannot draw '" + path + "': panel " + std::to_string(p) + " has the wrong size");
        for (int r = 0; r < height; r++)
            for (int c = 0; c < width; c++) {
                uint8_t* px = &rgb[((size_t)r * W + p * (width + gap) + c) * 3];
                const double v = panels[p][(size_t)r * width + c];
                if (std::isfinite(v)) colormap_rgb(px, std::min(1.0, std::max(0.0, v)), cmap);
                else px[0] = HEATMAP_NAN_RGB[0], px[1] = HEATMAP_NAN_RGB[1], px[2] = HEATMAP_NAN_RGB[2];
            }
    }
    write_png(path, W, height, rgb);
}

void samples_scatter(const std::string& path, const Flow& f, const Tensor& data, int n_samples, Rng& rng) {
    check_2d(f, data, path);
    if (n_samples < 1 || n_samples > 1000000)
        throw symkl::Error("cannot draw '" + path + "': the number of samples must be from 1 to 1000000, got " +
                           std::to_string(n_samples));
    const Box b = data_box(data, 1.0);
    const int cap = std::min(4096, n_samples);
    FlowCache cache;
    flow_cache_init(cache, f, cap);
    Tensor z(cap, 2), x(cap, 2);  // (cap, 2) base draws and their images x = T(z)
    PointSet samples, train;
    samples.label = "flow samples (" + std::to_string(n_samples) + ")";
    samples.radius = 1.6, samples.opacity = 0.45, samples.colour = 0;
    int outside = 0;
    for (int s = 0; s < n_samples; s += cap) {
        const int m = std::min(cap, n_samples - s);
        for (int k = 0; k < 2 * m; k++) z.data[k] = (Real)rng.normal();
        flow_inverse(x.ptr(), nullptr, z.ptr(), f, cache, m);
        for (int k = 0; k < m; k++) {
            const double px = x.at(k, 0), py = x.at(k, 1);
            if (px >= b.x0 && px <= b.x1 && py >= b.y0 && py <= b.y1) {
                samples.x.push_back(px);
                samples.y.push_back(py);
            } else {
                outside++;  // also NaN: it fails every comparison
            }
        }
    }
    train.label = "training data (" + std::to_string(data.rows) + ")";
    train.radius = 2.2, train.opacity = 0.9, train.colour = 6;
    for (int i = 0; i < data.rows; i++) {
        train.x.push_back(data.at(i, 0));
        train.y.push_back(data.at(i, 1));
    }
    ChartSpec spec;
    spec.title = "flow samples over the training data";
    if (outside > 0) spec.title += ", " + std::to_string(outside) + " outside the view";
    spec.xlabel = "x₁";
    spec.ylabel = "x₂";
    spec.width = 600, spec.height = 480;
    write_scatter(path, spec, {train, samples}, Aspect::equal);
}

// ---------------------------------------------------------------------------
// Learning curves

// The step column of a run, checked: finite and strictly increasing.
static const double* steps_of(const MetricsTable& t) {
    const double* s = metrics_column(t, "step");
    for (int r = 0; r < t.rows; r++) {
        if (!std::isfinite(s[r]))
            throw symkl::Error(t.path + ":" + std::to_string(r + 2) + ": column 'step' is not a finite number");
        if (r > 0 && !(s[r] > s[r - 1]))
            throw symkl::Error(t.path + ":" + std::to_string(r + 2) + ": step " + tick_label(s[r], 1) +
                               " does not follow step " + tick_label(s[r - 1], 1) + " (steps must increase)");
    }
    return s;
}

Series group_series(const RunGroup& g, const std::string& y) {
    if (g.runs.empty()) throw symkl::Error("group '" + g.label + "' has no runs");
    std::vector<const double*> steps, ys;
    for (const MetricsTable& t : g.runs) {
        steps.push_back(steps_of(t));
        ys.push_back(metrics_column(t, y));
    }
    // every step any run logged, in order
    std::vector<double> all;
    for (size_t i = 0; i < g.runs.size(); i++) all.insert(all.end(), steps[i], steps[i] + g.runs[i].rows);
    std::sort(all.begin(), all.end());
    all.erase(std::unique(all.begin(), all.end()), all.end());

    Series s;
    s.label = g.label;
    const bool band = g.runs.size() >= 2;
    std::vector<double> vals;
    for (double step : all) {
        vals.clear();
        for (size_t i = 0; i < g.runs.size(); i++) {
            const double* end = steps[i] + g.runs[i].rows;
            const double* at = std::lower_bound(steps[i], end, step);
            if (at != end && *at == step && std::isfinite(ys[i][at - steps[i]])) vals.push_back(ys[i][at - steps[i]]);
        }
        s.x.push_back(step);
        if (vals.empty()) {
            s.y_med.push_back(NAN);
            if (band) s.y_lo.push_back(NAN), s.y_hi.push_back(NAN);
            continue;
        }
        std::sort(vals.begin(), vals.end());
        const size_t n = vals.size();
        s.y_med.push_back(n % 2 ? vals[n / 2] : 0.5 * (vals[n / 2 - 1] + vals[n / 2]));
        if (band) s.y_lo.push_back(vals.front()), s.y_hi.push_back(vals.back());
    }
    return s;
}

std::string column_title(const std::string& c) {
    if (c == "test_nll") return "test NLL (nats)";
    if (c == "train_nll") return "train NLL (nats)";
    if (c == "loss") return "loss (mean minibatch value)";
    if (c == "fwd_kl") return "KL(π‖p) (nats)";
    if (c == "rev_kl") return "KL(p‖π) (nats)";
    if (c == "jeffreys") return "Jeffreys divergence (nats)";
    if (c == "lambda") return "λ";
    if (c == "grad_norm") return "gradient norm";
    return c;
}

// The series of an optional column: false when the group's runs do not have it or no
// run has a finite value in it; an error naming the file when only some runs have it.
static bool optional_series(const RunGroup& g, const std::string& column, Series& out) {
    size_t with = 0;
    for (const MetricsTable& t : g.runs) with += t.column(column) >= 0;
    if (with == 0) return false;
    out = group_series(g, column);  // throws for the first run without the column
    for (double v : out.y_med)
        if (std::isfinite(v)) return true;
    return false;
}

static std::string runs_note(const std::vector<RunGroup>& groups) {
    size_t most = 0;
    for (const RunGroup& g : groups) most = std::max(most, g.runs.size());
    return most >= 2 ? " (median and range over runs)" : "";
}

static std::string series_label(const RunGroup& g, bool several, const std::string& what) {
    return several ? (g.label.empty() ? what : g.label + " " + what) : what;
}

std::vector<std::string> learning_curves(const std::string& dir, const std::vector<RunGroup>& groups) {
    if (groups.empty()) throw symkl::Error("learning curves need at least one run");
    const bool several = groups.size() >= 2;
    std::vector<std::string> written;

    // NLL: test solid, train dashed
    std::vector<Series> nll;
    for (size_t gi = 0; gi < groups.size(); gi++) {
        Series test = group_series(groups[gi], "test_nll"), train = group_series(groups[gi], "train_nll");
        test.label = series_label(groups[gi], several, "test");
        train.label = series_label(groups[gi], several, "train");
        test.colour = several ? (int)gi : 0;
        train.colour = several ? (int)gi : 1;
        train.dash = Dash::dashed;
        nll.push_back(test);
        nll.push_back(train);
    }
    ChartSpec spec;
    spec.title = "negative log-likelihood" + runs_note(groups);
    spec.xlabel = "step";
    spec.ylabel = "NLL (nats per point)";
    written.push_back(dir + "/nll.svg");
    write_line_chart(written.back(), spec, nll);

    // KLs against the true density: one colour per quantity for a single group; for
    // several, one colour per group and a dash pattern per quantity, with the band on
    // Jeffreys only (six bands would hide each other)
    struct Quantity { const char* column; const char* name; Dash dash; };
    const Quantity kls[] = {{"jeffreys", "Jeffreys", Dash::solid},
                            {"fwd_kl", "KL(π‖p)", Dash::dashed},
                            {"rev_kl", "KL(p‖π)", Dash::dotted}};
    std::vector<Series> kl;
    for (size_t gi = 0; gi < groups.size(); gi++)
        for (size_t q = 0; q < 3; q++) {
            Series s;
            if (!optional_series(groups[gi], kls[q].column, s)) continue;
            s.label = series_label(groups[gi], several, kls[q].name);
            s.colour = several ? (int)gi : (int)q;
            s.dash = several ? kls[q].dash : Dash::solid;
            if (several && q > 0) s.y_lo.clear(), s.y_hi.clear();
            kl.push_back(s);
        }
    if (!kl.empty()) {
        spec.title = "divergence from the true density" + runs_note(groups);
        spec.ylabel = "nats (Monte Carlo)";
        written.push_back(dir + "/kl.svg");
        write_line_chart(written.back(), spec, kl);
    }

    std::vector<Series> lam;
    for (size_t gi = 0; gi < groups.size(); gi++) {
        Series s;
        if (!optional_series(groups[gi], "lambda", s)) continue;
        s.label = several ? groups[gi].label : "";
        s.colour = (int)gi;
        lam.push_back(s);
    }
    if (!lam.empty()) {
        spec.title = "λ, the proxy constraint's dual variable" + runs_note(groups);
        spec.ylabel = "λ";
        written.push_back(dir + "/lambda.svg");
        write_line_chart(written.back(), spec, lam);
    }
    return written;
}
