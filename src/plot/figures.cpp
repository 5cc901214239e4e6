// figures.cpp — density heatmap, samples scatter and learning curves (see figures.h).
#include "plot/figures.h"

#include <algorithm>
#include <cmath>

#include "tensor/error.h"
#include "tensor/rng.h"

// "moons · jeffreys: what", or "what" without a subject
static std::string titled(const std::string& subject, const std::string& what) {
    return subject.empty() ? what : subject + ": " + what;
}

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
                     Colormap cmap, const std::string& subject) {
    check_2d(f, data, path);
    if (width < 1 || height < 1 || width > 8192 || height > 8192)
        throw symkl::Error("cannot draw '" + path + "': image size " + std::to_string(width) + "x" +
                           std::to_string(height) + " is out of range (1 to 8192 pixels each way)");
    const Box b = data_box(data, (double)width / height);
    std::vector<double> v = flow_density_grid(f, b, width, height);
    bool any = false;
    for (double p : v) any = any || (std::isfinite(p) && p > 0);
    if (!any) throw symkl::Error("cannot draw '" + path + "': log p is not finite anywhere on the grid");
    write_density_figure(path, titled(subject, "learnt density p(x) / max p"), b, {DensityPanel{"", std::move(v)}},
                         width, height, cmap);
}

// Up to max_ticks "nice" ticks over [lo, hi] whose labels fit `pixels` side by side
// (across) or one text row apart (up).
static void panel_ticks(double lo, double hi, int pixels, bool across, int scale, std::vector<double>& at,
                        std::vector<std::string>& labels) {
    for (int m = 7; m >= 2; m--) {
        double step = 0;
        at = nice_ticks(lo, hi, m, &step);
        labels.clear();
        int widest = 0;
        for (double v : at) labels.push_back(tick_label(v, step)), widest = std::max(widest, text_width(labels.back(), scale));
        const int need = across ? widest + 10 * scale : 7 * scale + 8 * scale;
        if ((int)at.size() * need <= pixels) return;
    }
}

void write_density_figure(const std::string& path, const std::string& title, const Box& b,
                          const std::vector<DensityPanel>& panels, int width, int height, Colormap cmap) {
    const int n = (int)panels.size();
    if (n < 1 || width < 1 || height < 1 || width > 8192 || height > 8192 || n > 64)
        throw symkl::Error("cannot draw '" + path + "': no panels, too many, or a panel size out of range");
    for (int p = 0; p < n; p++)
        if (panels[p].values.size() != (size_t)width * height)
            throw symkl::Error("cannot draw '" + path + "': panel " + std::to_string(p + 1) + " has " +
                               std::to_string(panels[p].values.size()) + " values for " + std::to_string(width) + "x" +
                               std::to_string(height) + " pixels");
    // Text is the 5x7 font at scale 2 beside panels of 200 pixels or more, else 1.
    const int ts = std::min(width, height) >= 200 ? 2 : 1, ch = 7 * ts, pad = 4 * ts, tick = 3 * ts;
    std::vector<double> xt, yt;
    std::vector<std::string> xl, yl;
    panel_ticks(b.x0, b.x1, width, true, ts, xt, xl);
    panel_ticks(b.y0, b.y1, height, false, ts, yt, yl);
    int x_widest = 0, y_widest = 0;
    for (const std::string& l : xl) x_widest = std::max(x_widest, text_width(l, ts));
    for (const std::string& l : yl) y_widest = std::max(y_widest, text_width(l, ts));
    bool labelled = false;
    for (const DensityPanel& p : panels) labelled = labelled || !p.label.empty();
    const std::string bar_title = "p / max p";
    int title_scale = ts;
    const int gap = std::max(10 * ts, x_widest + 4 * ts);
    const int left = pad + y_widest + 2 * ts + tick + 1;
    const int panels_w = n * width + (n - 1) * gap;
    const int bar_w = 8 * ts;
    // the bar's title goes under it, beside the last panel's x tick labels
    const int bar_x = left + panels_w + 1 + std::max(8 * ts, x_widest / 2 + text_width(bar_title, ts) / 2 - bar_w / 2 + 4 * ts);
    int total_w = bar_x + bar_w + 1 + tick + 2 * ts + text_width("0.5", ts) + pad;
    total_w = std::max(total_w, bar_x + bar_w / 2 + text_width(bar_title, ts) / 2 + pad);
    // The title on one line at the text scale; too wide, it breaks after "subject:"; still
    // too wide, it is set at scale 1 (and the image widened to hold it).
    std::vector<std::string> title_lines;
    if (!title.empty()) title_lines = {title};
    const size_t colon = title.find(": ");
    auto widest_line = [&](int sc) {
        int w = 0;
        for (const std::string& l : title_lines) w = std::max(w, text_width(l, sc));
        return w;
    };
    if (widest_line(ts) + 2 * pad > total_w && colon != std::string::npos)
        title_lines = {title.substr(0, colon + 1), title.substr(colon + 2)};
    if (widest_line(ts) + 2 * pad > total_w) title_scale = 1;
    total_w = std::max(total_w, widest_line(title_scale) + 2 * pad);
    const int title_h = title.empty() ? 0 : (int)title_lines.size() * 9 * title_scale + 2 * pad;
    const int top = pad + title_h + ch + pad;  // the label row (panel names, the bar's title) always
    const int total_h = top + height + 1 + tick + 2 * ts + ch + pad;
    Image im(total_w, total_h);
    for (size_t i = 0; i < title_lines.size(); i++)
        draw_text(im, total_w / 2, pad + pad / 2 + (int)i * 9 * title_scale, title_lines[i], INK, title_scale, Anchor::middle);
    for (int p = 0; p < n; p++) {
        const int x0 = left + p * (width + gap);
        for (int r = 0; r < height; r++)
            for (int c = 0; c < width; c++) {
                const double v = panels[p].values[(size_t)r * width + c];
                uint8_t px[3] = {HEATMAP_NAN_RGB[0], HEATMAP_NAN_RGB[1], HEATMAP_NAN_RGB[2]};
                if (std::isfinite(v)) colormap_rgb(px, std::min(1.0, std::max(0.0, v)), cmap);
                im.set(x0 + c, top + r, {px[0], px[1], px[2]});
            }
        frame_rect(im, x0, top, width, height, FRAME);
        if (labelled) draw_text(im, x0 + width / 2, top - ch - pad / 2 - 1, panels[p].label, INK, ts, Anchor::middle);
        for (size_t k = 0; k < xt.size(); k++) {
            const int x = x0 + std::min(width - 1, (int)std::floor((xt[k] - b.x0) / (b.x1 - b.x0) * width));
            fill_rect(im, x, top + height + 1, 1 * ts, tick, FRAME);
            draw_text(im, x, top + height + 1 + tick + 2 * ts, xl[k], INK, ts, Anchor::middle);
        }
    }
    for (size_t k = 0; k < yt.size(); k++) {
        const int y = top + std::min(height - 1, (int)std::floor((b.y1 - yt[k]) / (b.y1 - b.y0) * height));
        fill_rect(im, left - 1 - tick, y, tick, ts, FRAME);
        draw_text(im, left - 1 - tick - 2 * ts, y - ch / 2, yl[k], INK, ts, Anchor::end);
    }
    // the colour bar: 1 at the top, 0 at the bottom, ticks at 0, 0.5 and 1
    for (int r = 0; r < height; r++) {
        uint8_t px[3];
        colormap_rgb(px, 1.0 - (r + 0.5) / height, cmap);
        fill_rect(im, bar_x, top + r, bar_w, 1, {px[0], px[1], px[2]});
    }
    frame_rect(im, bar_x, top, bar_w, height, FRAME);
    draw_text(im, bar_x + bar_w / 2, top + height + 1 + tick + 2 * ts, bar_title, INK, ts, Anchor::middle);
    for (double t : {0.0, 0.5, 1.0}) {
        const int y = top + std::min(height - 1, (int)std::floor((1 - t) * height));
        fill_rect(im, bar_x + bar_w + 1, y, tick, ts, FRAME);
        draw_text(im, bar_x + bar_w + 1 + tick + 2 * ts, y - ch / 2, t == 0.5 ? "0.5" : t == 0 ? "0" : "1", INK, ts);
    }
    write_image(path, im);
}

void samples_scatter(const std::string& path, const Flow& f, const Tensor& data, int n_samples, Rng& rng,
                     const std::string& subject) {
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
    spec.title = titled(subject, "flow samples over the training data");
    if (outside > 0) spec.title += ", " + std::to_string(outside) + " outside the view";
    spec.xlabel = "x₁";
    spec.ylabel = "x₂";
    spec.width = 600, spec.height = 480;
    write_scatter(path, spec, {train, samples}, Aspect::equal);
}

// ---------------------------------------------------------------------------
// Pair plots and image grids

std::vector<int> pair_dimensions(const Tensor& data, int most) {
    std::vector<int> dims;
    for (int d = 0; d < data.cols && (int)dims.size() < most; d++) {
        bool varies = false;
        for (int i = 1; i < data.rows && !varies; i++) varies = data.at(i, d) != data.at(0, d);
        if (varies) dims.push_back(d);
    }
    if (dims.empty())  // nothing varies: the first columns, constant as they are
        for (int d = 0; d < std::min(most, data.cols); d++) dims.push_back(d);
    return dims;
}

void pairs_plot(const std::string& path, const Flow& f, const Tensor& data, int n_samples, Rng& rng,
                const std::string& subject) {
    const int D = f.cfg.dim;
    if (data.cols != D || D < 1)
        throw symkl::Error("cannot draw '" + path + "': the flow is " + std::to_string(D) + "-dimensional, the data " +
                           std::to_string(data.cols) + "-dimensional");
    if (n_samples < 1 || n_samples > 1000000)
        throw symkl::Error("cannot draw '" + path + "': the number of samples must be from 1 to 1000000, got " +
                           std::to_string(n_samples));
    const std::vector<int> dims = pair_dimensions(data, 4);
    MatrixSet train, samples;
    train.label = "training data (" + std::to_string(data.rows) + ")";
    train.radius = 1.6, train.opacity = 0.8, train.colour = 6;
    samples.label = "flow samples (" + std::to_string(n_samples) + ")";
    samples.radius = 1.2, samples.opacity = 0.4, samples.colour = 0;
    std::vector<std::string> names;
    for (int d : dims) {
        names.push_back("x" + std::to_string(d + 1));
        train.columns.emplace_back();
        samples.columns.emplace_back();
        for (int i = 0; i < data.rows; i++) train.columns.back().push_back(data.at(i, d));
    }
    const int cap = std::min(4096, n_samples);
    FlowCache cache;
    flow_cache_init(cache, f, cap);
    Tensor z(cap, D), x(cap, D);  // base draws and their images x = T(z), one chunk
    for (int s = 0; s < n_samples; s += cap) {
        const int m = std::min(cap, n_samples - s);
        for (int k = 0; k < m * D; k++) z.data[k] = (Real)rng.normal();
        flow_inverse(x.ptr(), nullptr, z.ptr(), f, cache, m);
        for (int k = 0; k < m; k++)
            for (size_t j = 0; j < dims.size(); j++) samples.columns[j].push_back(x.at(k, dims[j]));
    }
    std::string what = "flow samples against the training data";
    if (D > (int)dims.size()) what += " (" + std::to_string(dims.size()) + " of " + std::to_string(D) + " dimensions)";
    write_scatter_matrix(path, titled(subject, what), names, {train, samples}, dims.size() <= 2 ? 220 : 150);
}

void write_image_grids(const std::string& path, const std::vector<ImagePanel>& panels, const ImageGridSpec& g) {
    if (panels.empty() || panels.size() > 16 || g.width < 1 || g.height < 1 || g.width > 256 || g.height > 256 ||
        g.columns < 1 || g.rows < 1 || g.columns > 100 || g.rows > 100 || g.zoom < 1 || g.zoom > 32)
        throw symkl::Error("cannot draw '" + path + "': 1 to 16 panels of 1 to 100 x 100 images of 1 to 256 pixels "
                           "each way, zoomed 1 to 32 times");
    const size_t pixels = (size_t)g.width * g.height;
    double lo = g.vmin, hi = g.vmax;
    bool auto_lo = std::isnan(lo), auto_hi = std::isnan(hi);
    if (auto_lo) lo = INFINITY;
    if (auto_hi) hi = -INFINITY;
    for (size_t p = 0; p < panels.size(); p++) {
        if (panels[p].n_images < 1 || panels[p].values.size() != (size_t)panels[p].n_images * pixels)
            throw symkl::Error("cannot draw '" + path + "': panel " + std::to_string(p + 1) + " has " +
                               std::to_string(panels[p].values.size()) + " values, not a whole number (>= 1) of " +
                               std::to_string(g.width) + "x" + std::to_string(g.height) + " images");
        for (double v : panels[p].values)
            if (std::isfinite(v)) {
                if (auto_lo) lo = std::min(lo, v);
                if (auto_hi) hi = std::max(hi, v);
            }
    }
    if (!(std::isfinite(lo) && std::isfinite(hi))) throw symkl::Error("cannot draw '" + path + "': no finite value");
    if (!(lo < hi)) {
        if (!auto_lo && !auto_hi)
            throw symkl::Error("cannot draw '" + path + "': the grey range needs vmin < vmax");
        hi = lo + 1;  // every value the same: drawn white
    }
    bool labelled = false;
    for (const ImagePanel& p : panels) labelled = labelled || !p.label.empty();
    const int cell_w = g.width * g.zoom + 1, cell_h = g.height * g.zoom + 1, pad = 8;
    const int grid_w = g.columns * cell_w + 1, grid_h = g.rows * cell_h + 1;
    int panel_w = grid_w;
    for (const ImagePanel& p : panels) panel_w = std::max(panel_w, text_width(p.label, 2) + 4);
    const int label_h = labelled ? 14 + pad : 0;
    Image im((int)panels.size() * (panel_w + pad) + pad, pad + label_h + grid_h + pad);
    for (size_t p = 0; p < panels.size(); p++) {
        const int x0 = pad + (int)p * (panel_w + pad) + (panel_w - grid_w) / 2, y0 = pad + label_h;
        if (labelled) draw_text(im, pad + (int)p * (panel_w + pad) + panel_w / 2, pad, panels[p].label, INK, 2, Anchor::middle);
        fill_rect(im, x0, y0, grid_w, grid_h, {210, 210, 210});  // the lines between images
        for (int k = 0; k < std::min(panels[p].n_images, g.columns * g.rows); k++) {
            const int cx = x0 + 1 + (k % g.columns) * cell_w, cy = y0 + 1 + (k / g.columns) * cell_h;
            for (int r = 0; r < g.height; r++)
                for (int c = 0; c < g.width; c++) {
                    const double v = panels[p].values[(size_t)k * pixels + (size_t)r * g.width + c];
                    Rgb col{HEATMAP_NAN_RGB[0], HEATMAP_NAN_RGB[1], HEATMAP_NAN_RGB[2]};
                    if (!std::isnan(v)) {
                        const double t = std::min(1.0, std::max(0.0, (v - lo) / (hi - lo)));
                        const uint8_t grey = (uint8_t)std::lround(255 * (1 - t));
                        col = {grey, grey, grey};
                    }
                    fill_rect(im, cx + c * g.zoom, cy + r * g.zoom, g.zoom, g.zoom, col);
                }
        }
    }
    write_image(path, im);
}

void write_image_grid(const std::string& path, const std::vector<double>& rows, int n_images, int width, int height) {
    ImageGridSpec g;
    g.width = width, g.height = height;
    write_image_grids(path, {ImagePanel{"", rows, n_images}}, g);
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

std::vector<std::string> learning_curves(const std::string& dir, const std::vector<RunGroup>& groups,
                                         const std::string& subject) {
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
    spec.title = titled(subject, "negative log-likelihood" + runs_note(groups));
    spec.xlabel = "step";
    spec.ylabel = "NLL (nats per point)";
    written.push_back(dir + "/nll.svg");
    write_line_chart(written.back(), spec, nll);

    // KLs against the true density: a dash pattern per quantity (Jeffreys solid, KL(π‖p)
    // dashed, KL(p‖π) dotted), and one colour per quantity for a single group or per
    // group for several, with the band on Jeffreys only (six bands would hide each other)
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
            s.dash = kls[q].dash;  // colour and line style both tell the quantities apart
            if (several && q > 0) s.y_lo.clear(), s.y_hi.clear();
            kl.push_back(s);
        }
    if (!kl.empty()) {
        spec.title = titled(subject, "divergence from the true density" + runs_note(groups));
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
        spec.title = titled(subject, "λ, the proxy constraint's dual variable" + runs_note(groups));
        spec.ylabel = "λ";
        written.push_back(dir + "/lambda.svg");
        write_line_chart(written.back(), spec, lam);
    }
    return written;
}
