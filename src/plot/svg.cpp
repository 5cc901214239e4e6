// svg.cpp — line charts and scatter plots as SVG text (see svg.h).
//
// A chart is drawn in three passes: find the data range of each axis, lay out the
// margins (the y tick labels set the left margin, the legend the right one), then emit
// the elements back to front: grid, bands, lines or points, frame, ticks, labels, legend.
// Text widths are estimated (0.6 em per character, a little wider than most sans-serif
// fonts' average) since SVG leaves measuring to the viewer.
#include "plot/svg.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "io/file.h"
#include "tensor/error.h"

namespace {

// Okabe and Ito's colour-blind-safe palette, blue and vermillion first (the pair that
// stays most distinct under every common form of colour blindness); their yellow is
// left out as too light on white.
const char* const PALETTE[] = {"#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000"};
const int PALETTE_N = 7;

const char* FONT = "DejaVu Sans, Helvetica, Arial, sans-serif";
const double TICK_FONT = 12, LABEL_FONT = 13, TITLE_FONT = 15, LEGEND_FONT = 12;
const double LEGEND_ROW = 20, LEGEND_SWATCH = 26;
const double MARKER_R = 3;  // marker disc radius: visible over a 1.8 px line, small beside a band

// Pixel coordinates with two decimals; "-0.00" is written "0.00" so the text does not
// depend on the sign of a rounding error.
std::string num(double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.2f", v);
    if (std::string(buf) == "-0.00") return "0.00";
    return buf;
}

std::string xml_escape(const std::string& s) {
    std::string r;
    for (char c : s) {
        switch (c) {
            case '&': r += "&amp;"; break;
            case '<': r += "&lt;"; break;
            case '>': r += "&gt;"; break;
            case '"': r += "&quot;"; break;
            default: r += c;
        }
    }
    return r;
}

// Estimated width in pixels: UTF-8 continuation bytes do not count as characters.
double text_width(const std::string& s, double font_px) {
    int n = 0;
    for (unsigned char c : s) n += (c & 0xC0) != 0x80;
    return 0.6 * font_px * n;
}

double pow10_int(int e) {
    // 10^e by repeated multiplication: exact up to 10^22, the same bits everywhere.
    double p = 1;
    for (int i = 0; i < (e < 0 ? -e : e); i++) p *= 10;
    return e < 0 ? 1 / p : p;
}

struct Axis {
    bool log = false;
    bool symlog = false;               // sign(v)·log10(1 + |v|/c): linear near 0, logarithmic beyond ±c
    double c = 1;                      // the symlog axis's linear threshold (a power of ten)
    double lo = 0, hi = 1;             // data range (both positive on a log axis)
    double p_lo = 0, p_hi = 1;         // pixel positions of lo and hi
    std::vector<double> major, minor;  // tick values in data units
    std::vector<std::string> labels;   // one per major tick ("" = unlabelled)

    double f(double v) const { return symlog ? std::copysign(std::log10(1 + std::fabs(v) / c), v) : v; }
    double t(double v) const {
        if (symlog) return (f(v) - f(lo)) / (f(hi) - f(lo));
        return log ? (std::log10(v) - std::log10(lo)) / (std::log10(hi) - std::log10(lo)) : (v - lo) / (hi - lo);
    }
    double px(double v) const { return p_lo + t(v) * (p_hi - p_lo); }
    // a value that can be placed on this axis
    bool ok(double v) const { return std::isfinite(v) && (!log || v > 0); }
};

// Linear ticks with at most max_ticks labels.
void set_linear_ticks(Axis& a, int max_ticks) {
    double step = 0;
    a.major = nice_ticks(a.lo, a.hi, max_ticks, &step);
    a.minor.clear();
    a.labels.clear();
    for (double v : a.major) a.labels.push_back(tick_label(v, step));
}

void set_log_ticks(Axis& a, int max_labels) {
    const LogTicks lt = log_ticks(a.lo, a.hi);
    a.lo = lt.lo, a.hi = lt.hi;
    a.major = lt.major;
    a.minor = lt.minor;
    a.labels.clear();
    // many decades: label every second (third, ...) one so the labels do not collide
    const size_t every = std::max<size_t>(1, (a.major.size() + max_labels - 1) / std::max(1, max_labels));
    for (size_t i = 0; i < a.major.size(); i++)
        a.labels.push_back(i % every == 0 ? tick_label(a.major[i], a.major[i]) : "");
}

// Ticks of a symlog axis (a.p_lo and a.p_hi must be set): ticks at 0 and ±c·10^k, with
// ±m·c·10^k (m = 2..9) as minor ticks. Labels go to 0 first, then to the powers from the
// largest magnitude down, each only where it keeps 18 pixels from every label placed.
void set_symlog_ticks(Axis& a) {
    a.major.clear(), a.minor.clear(), a.labels.clear();
    std::vector<double> powers;  // c·10^k up to the larger end
    const double top = std::max(std::fabs(a.lo), std::fabs(a.hi));
    for (double p = a.c; p <= top * (1 + 1e-9) && powers.size() < 400; p *= 10) powers.push_back(p);
    for (size_t k = powers.size(); k-- > 0;)
        if (-powers[k] >= a.lo) a.major.push_back(-powers[k]);
    if (a.lo <= 0 && a.hi >= 0) a.major.push_back(0);
    for (double p : powers)
        if (p <= a.hi) a.major.push_back(p);
    std::vector<size_t> order(a.major.size());
    for (size_t i = 0; i < order.size(); i++) order[i] = i;
    std::stable_sort(order.begin(), order.end(), [&](size_t i, size_t j) {
        const double u = a.major[i], v = a.major[j];
        return (u == 0) != (v == 0) ? u == 0 : std::fabs(u) > std::fabs(v);
    });
    a.labels.assign(a.major.size(), "");
    std::vector<double> placed;
    for (size_t i : order) {
        const double y = a.px(a.major[i]);
        bool room = true;
        for (double q : placed) room = room && std::fabs(q - y) >= 18;
        if (!room) continue;
        placed.push_back(y);
        a.labels[i] = a.major[i] == 0 ? "0" : tick_label(a.major[i], std::fabs(a.major[i]));
    }
    for (double p : powers)
        for (int m = 2; m <= 9; m++)
            for (double v : {-m * p, m * p})
                if (v >= a.lo && v <= a.hi) a.minor.push_back(v);
    std::sort(a.minor.begin(), a.minor.end());
}

double max_label_width(const Axis& a) {
    double w = 0;
    for (const std::string& s : a.labels) w = std::max(w, text_width(s, TICK_FONT));
    return w;
}

// A label that gives v itself rather than v rounded to a tick step: the fewest decimals
// (at most 12) that print v to 1e-9 relative, so 0.25 is "0.25" and 300 is "300".
std::string exact_label(double v) {
    for (int d = 0; d < 12; d++) {
        char buf[64];
        std::snprintf(buf, sizeof buf, "%.*f", d, v);
        if (std::fabs(std::strtod(buf, nullptr) - v) <= 1e-9 * std::fabs(v)) return tick_label(v, pow10_int(-d));
    }
    return tick_label(v, pow10_int(-12));
}

// Ticks chosen by the caller: labelled major ticks at exactly those values. On a log axis
// the ticks log_ticks would give stay as unlabelled minor ticks, so the axis still reads
// as logarithmic.
void set_given_ticks(Axis& a, std::vector<double> given) {
    std::sort(given.begin(), given.end());
    given.erase(std::unique(given.begin(), given.end()), given.end());
    a.major.clear(), a.minor.clear(), a.labels.clear();
    for (double v : given) {
        if (v < a.lo || v > a.hi) continue;  // only after a caller narrowed the range
        a.major.push_back(v);
        a.labels.push_back(exact_label(v));
    }
    if (!a.log) return;
    const LogTicks lt = log_ticks(a.lo, a.hi);
    for (const std::vector<double>* ticks : {&lt.major, &lt.minor})
        for (double v : *ticks) {
            bool taken = false;
            for (double g : a.major) taken = taken || std::fabs(v - g) <= 1e-9 * g;
            if (!taken && v >= a.lo && v <= a.hi) a.minor.push_back(v);
        }
    std::sort(a.minor.begin(), a.minor.end());
}

// Whether the x tick labels fit side by side with 18 px between them. Linear ticks are
// evenly spaced, so their count times the widest label decides; log ticks are not (1, 2,
// 5, 10 sit 0.30, 0.40, 0.30 decades apart), so each pair of neighbours is measured.
bool x_labels_fit(const Axis& a, double plot_w) {
    if (!a.log) return (double)a.major.size() * (max_label_width(a) + 18) <= plot_w;
    double prev_x = 0, prev_w = -1;
    for (size_t i = 0; i < a.major.size(); i++) {
        if (a.labels[i].empty()) continue;
        const double x = a.px(a.major[i]), w = text_width(a.labels[i], TICK_FONT);
        if (prev_w >= 0 && x - prev_x < 0.5 * (w + prev_w) + 18) return false;
        prev_x = x, prev_w = w;
    }
    return true;
}

// The x axis's ticks: the given ones, or the most whose labels fit (a.p_lo and a.p_hi
// must be set).
void set_x_ticks(Axis& a, const std::vector<double>& given, double plot_w) {
    if (!given.empty()) {
        set_given_ticks(a, given);
        return;
    }
    for (int max_x = 10; max_x >= 2; max_x--) {
        if (a.log) set_log_ticks(a, max_x);
        else set_linear_ticks(a, max_x);
        if (x_labels_fit(a, plot_w)) break;
    }
}

// Pads a linear range by `frac` of its span on each side; a single value gets a span.
void pad_range(double& lo, double& hi, double frac) {
    if (hi - lo <= 1e-12 * std::max(std::fabs(lo), std::fabs(hi))) {
        const double d = lo == 0 ? 1 : 0.05 * std::fabs(lo);
        lo -= d, hi += d;
        return;
    }
    const double d = frac * (hi - lo);
    lo -= d, hi += d;
}

// An axis's range: the data's [lo, hi] plus `frac` of its span on each side, the span
// measured in log10 units on a log axis (a single value gets a factor 2 either way).
void set_range(Axis& a, double lo, double hi, double frac) {
    if (a.symlog) {
        const double f0 = a.f(lo), f1 = a.f(hi), d = frac * (f1 - f0);
        auto inv = [&](double u) { return std::copysign(a.c * (std::pow(10.0, std::fabs(u)) - 1), u); };
        a.lo = inv(f0 - d), a.hi = inv(f1 + d);
        return;
    }
    if (a.log) {
        const double f = hi > lo ? std::pow(hi / lo, frac) : 2;
        a.lo = lo / f, a.hi = hi * f;
    } else {
        pad_range(lo, hi, frac);
        a.lo = lo, a.hi = hi;
    }
}

struct Layout {
    int width = 0, height = 0;
    double left = 0, top = 0, right = 0, bottom = 0;  // the plot area, in pixels
    double legend_x = 0;
    bool legend = false;
};

// Margins from the title, the axis labels and the legend; the y axis's ticks need the
// plot height (known first), the x axis's need the plot width (known once the left
// margin is, which depends on the y tick labels).
void layout_axes(Layout& L, Axis& xa, Axis& ya, const ChartSpec& spec, double legend_text_w) {
    L.width = spec.width, L.height = spec.height;
    L.top = spec.title.empty() ? 16 : 42;
    L.bottom = spec.height - (spec.xlabel.empty() ? 32 : 52);
    const double plot_h = L.bottom - L.top;
    const int max_y = std::max(2, std::min(10, (int)(plot_h / 40)));
    ya.p_lo = L.bottom, ya.p_hi = L.top;
    if (ya.symlog) set_symlog_ticks(ya);
    else if (ya.log) set_log_ticks(ya, max_y);
    else set_linear_ticks(ya, max_y);
    L.left = 8 + (spec.ylabel.empty() ? 0 : 24) + max_label_width(ya) + 10;
    L.legend = legend_text_w > 0;
    L.right = spec.width - (L.legend ? 18 + LEGEND_SWATCH + 8 + legend_text_w + 12 : 24);
    L.legend_x = L.right + 18;
    const double plot_w = L.right - L.left;
    if (plot_w < 80 || plot_h < 60)
        throw symkl::Error("a " + std::to_string(spec.width) + "x" + std::to_string(spec.height) +
                           " chart leaves no room to plot: make it larger or the labels shorter");
    xa.p_lo = L.left, xa.p_hi = L.right;
    ya.p_lo = L.bottom, ya.p_hi = L.top;
    set_x_ticks(xa, spec.x_ticks, plot_w);
}

void svg_begin(std::string& s, const ChartSpec& spec) {
    s += "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
    s += "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + std::to_string(spec.width) + "\" height=\"" +
         std::to_string(spec.height) + "\" viewBox=\"0 0 " + std::to_string(spec.width) + " " +
         std::to_string(spec.height) + "\" font-family=\"" + FONT + "\">\n";
    s += "<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n";
}

void text(std::string& s, double x, double y, double size, const char* anchor, const std::string& str,
          const char* extra = "") {
    s += "<text x=\"" + num(x) + "\" y=\"" + num(y) + "\" font-size=\"" + num(size) + "\" text-anchor=\"" + anchor +
         "\"" + extra + ">" + xml_escape(str) + "</text>\n";
}

void line(std::string& s, double x0, double y0, double x1, double y1, const char* stroke, double w) {
    s += "<line x1=\"" + num(x0) + "\" y1=\"" + num(y0) + "\" x2=\"" + num(x1) + "\" y2=\"" + num(y1) +
         "\" stroke=\"" + stroke + "\" stroke-width=\"" + num(w) + "\"/>\n";
}

// Grid lines at the ticks, behind the data.
void draw_grid(std::string& s, const Layout& L, const Axis& xa, const Axis& ya) {
    s += "<g>\n";
    // minor grid lines help over a few decades; over many they would be a grey wash
    if (xa.log && std::log10(xa.hi / xa.lo) <= 4)
        for (double v : xa.minor) line(s, xa.px(v), L.top, xa.px(v), L.bottom, "#f0f0f0", 1);
    if ((ya.log && std::log10(ya.hi / ya.lo) <= 4) || (ya.symlog && ya.f(ya.hi) - ya.f(ya.lo) <= 4))
        for (double v : ya.minor) line(s, L.left, ya.px(v), L.right, ya.px(v), "#f0f0f0", 1);
    for (double v : xa.major) line(s, xa.px(v), L.top, xa.px(v), L.bottom, "#e6e6e6", 1);
    for (double v : ya.major) line(s, L.left, ya.px(v), L.right, ya.px(v), "#e6e6e6", 1);
    s += "</g>\n";
}

// Frame, tick marks, tick labels, axis labels and title, over the data.
void draw_axes(std::string& s, const Layout& L, const Axis& xa, const Axis& ya, const ChartSpec& spec) {
    s += "<rect x=\"" + num(L.left) + "\" y=\"" + num(L.top) + "\" width=\"" + num(L.right - L.left) +
         "\" height=\"" + num(L.bottom - L.top) + "\" fill=\"none\" stroke=\"#444444\" stroke-width=\"1\"/>\n";
    s += "<g fill=\"#222222\">\n";
    for (double v : xa.minor) line(s, xa.px(v), L.bottom, xa.px(v), L.bottom + 3, "#444444", 1);
    for (size_t i = 0; i < xa.major.size(); i++) {
        const double x = xa.px(xa.major[i]);
        line(s, x, L.bottom, x, L.bottom + 5, "#444444", 1);
        text(s, x, L.bottom + 19, TICK_FONT, "middle", xa.labels[i]);
    }
    for (double v : ya.minor) line(s, L.left - 3, ya.px(v), L.left, ya.px(v), "#444444", 1);
    for (size_t i = 0; i < ya.major.size(); i++) {
        const double y = ya.px(ya.major[i]);
        line(s, L.left - 5, y, L.left, y, "#444444", 1);
        text(s, L.left - 8, y + 4, TICK_FONT, "end", ya.labels[i]);
    }
    const double mid_x = 0.5 * (L.left + L.right), mid_y = 0.5 * (L.top + L.bottom);
    // The title is centred over the plot but kept inside the chart; one too long for the
    // chart is set smaller rather than cut off (bold text is about 10% wider).
    const double title_w = 1.1 * text_width(spec.title, TITLE_FONT);
    const double title_font = std::max(9.0, std::min(TITLE_FONT, TITLE_FONT * (L.width - 16) / std::max(1.0, title_w)));
    const double half = 0.5 * title_w * title_font / TITLE_FONT;
    const double title_x = std::min(std::max(mid_x, 8 + half), L.width - 8 - half);
    if (!spec.xlabel.empty()) text(s, mid_x, L.bottom + 42, LABEL_FONT, "middle", spec.xlabel);
    if (!spec.ylabel.empty()) {
        const std::string rot = " transform=\"rotate(-90 " + num(20) + " " + num(mid_y) + ")\"";
        text(s, 20, mid_y, LABEL_FONT, "middle", spec.ylabel, rot.c_str());
    }
    if (!spec.title.empty()) text(s, title_x, 26, title_font, "middle", spec.title, " font-weight=\"bold\"");
    s += "</g>\n";
}

const char* dash_array(Dash d) {
    switch (d) {
        case Dash::dashed: return "7 4";
        case Dash::dotted: return "1.5 3.5";
        case Dash::solid: break;
    }
    return "";
}

std::string stroke_attrs(const char* colour, double width, Dash d) {
    std::string a = std::string(" fill=\"none\" stroke=\"") + colour + "\" stroke-width=\"" + num(width) +
                    "\" stroke-linejoin=\"round\" stroke-linecap=\"round\"";
    if (d != Dash::solid) a += std::string(" stroke-dasharray=\"") + dash_array(d) + "\"";
    return a;
}

void check_spec(const ChartSpec& spec) {
    if (spec.width < 200 || spec.height < 150 || spec.width > 20000 || spec.height > 20000)
        throw symkl::Error("chart size " + std::to_string(spec.width) + "x" + std::to_string(spec.height) +
                           " is out of range (200x150 to 20000x20000 pixels)");
    for (size_t i = 0; i < spec.x_ticks.size(); i++) {
        const double v = spec.x_ticks[i];
        const std::string at = "x_ticks[" + std::to_string(i) + "]";
        if (!std::isfinite(v)) throw symkl::Error(at + " is not a finite number");
        if (spec.log_x && v <= 0)
            throw symkl::Error(at + " = " + exact_label(v) + " cannot be placed on a log x axis (ticks must be > 0)");
    }
}

// Widens [lo, hi] to hold the given ticks.
void include_ticks(double& lo, double& hi, const std::vector<double>& ticks) {
    for (double v : ticks) lo = std::min(lo, v), hi = std::max(hi, v);
}

std::string series_name(const Series& s, size_t i) {
    return s.label.empty() ? "series " + std::to_string(i + 1) : "series '" + s.label + "'";
}

}  // namespace

const char* palette_colour(int i) { return PALETTE[((i % PALETTE_N) + PALETTE_N) % PALETTE_N]; }

std::vector<double> nice_ticks(double lo, double hi, int max_ticks, double* step) {
    if (!(std::isfinite(lo) && std::isfinite(hi) && lo < hi) || max_ticks < 1)
        throw symkl::Error("nice_ticks needs a finite range lo < hi and max_ticks >= 1");
    // Try steps 1, 2, 5 × 10^e upwards from a power of ten below span / max_ticks; the
    // first one that gives few enough ticks is the finest readable one.
    int e = (int)std::floor(std::log10((hi - lo) / max_ticks));
    const double eps = 1e-9;  // a tick within 1e-9 steps of an end still counts as inside
    for (;; e++) {
        for (int m : {1, 2, 5}) {
            const double s = m * pow10_int(e);
            const double k0 = std::ceil(lo / s - eps), k1 = std::floor(hi / s + eps);
            if (k1 - k0 + 1 > max_ticks) continue;
            std::vector<double> t;
            for (double k = k0; k <= k1; k++)
                // k·m / 10^-e rather than k·s: integers divided by an exact power of ten
                // round once, so 3·0.2 comes out as 0.6, not 0.6000000000000001.
                t.push_back((e < 0 ? k * m / pow10_int(-e) : k * s) + 0.0);  // + 0.0 turns −0 into 0
            *step = s;
            return t;
        }
    }
}

// m · 10^e, rounded once (m / 10^-e for negative e: an exact integer over an exact power)
static double times_pow10(int m, int e) { return e < 0 ? m / pow10_int(-e) : m * pow10_int(e); }

LogTicks log_ticks(double lo, double hi) {
    if (!(std::isfinite(lo) && std::isfinite(hi) && lo > 0 && lo < hi))
        throw symkl::Error("log_ticks needs a finite range 0 < lo < hi");
    const double eps = 1e-9;  // relative: a tick this close to an end is inside
    for (int pass = 0;; pass++) {
        LogTicks r;
        r.lo = lo, r.hi = hi;
        const bool fine = std::log10(hi / lo) <= 2 + eps;  // two decades or less: 2 and 5 are labelled
        const int e0 = (int)std::floor(std::log10(lo)), e1 = (int)std::ceil(std::log10(hi));
        for (int e = e0; e <= e1; e++)
            for (int m = 1; m <= 9; m++) {
                const double v = times_pow10(m, e);
                if (v < lo * (1 - eps) || v > hi * (1 + eps)) continue;
                (m == 1 || (fine && (m == 2 || m == 5)) ? r.major : r.minor).push_back(v);
            }
        if (r.major.size() >= 2 || pass > 0) return r;
        // Too narrow to read: widen to whole decades (then 1, 2, 5 and 10 are inside).
        const int w0 = (int)std::floor(std::log10(lo) + eps);
        int w1 = (int)std::ceil(std::log10(hi) - eps);
        if (w1 <= w0) w1 = w0 + 1;
        lo = pow10_int(w0), hi = pow10_int(w1);
    }
}

std::string tick_label(double v, double step) {
    char buf[64];
    v += 0.0;
    if (std::fabs(v) >= 1e7 || (v != 0 && std::fabs(v) < 1e-4)) {
        std::snprintf(buf, sizeof buf, "%g", v);
        // "1e-06" → "1e-6": the exponent without padding zeros
        std::string g = buf;
        const size_t e = g.find('e');
        if (e != std::string::npos) {
            size_t d = e + 1 + (g[e + 1] == '-' || g[e + 1] == '+');
            while (d + 1 < g.size() && g[d] == '0') g.erase(d, 1);
            if (g[e + 1] == '+') g.erase(e + 1, 1);
            return g;
        }
    } else {
        const int decimals = std::min(12, std::max(0, -(int)std::floor(std::log10(step) + 1e-9)));
        std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
    }
    std::string s = buf;
    // a value that rounds to zero prints without a sign
    if (s[0] == '-' && s.find_first_not_of("-0.") == std::string::npos) s.erase(0, 1);
    return s;
}

// ---------------------------------------------------------------------------
// Line chart

YScaleChoice choose_y_scale(std::vector<double> v) {
    YScaleChoice r;
    v.erase(std::remove_if(v.begin(), v.end(), [](double y) { return !std::isfinite(y); }), v.end());
    if (v.empty()) return r;
    std::sort(v.begin(), v.end());
    const double lo = v.front(), hi = v.back();
    if (lo > 0) {
        if (hi / lo > 100) r.scale = YScale::log;
        return r;
    }
    // Values of both signs or zeros: symlog when the largest magnitude is more than 100
    // times that of the bulk (the 10th to 90th percentiles), whose scale sets c.
    const auto q = [&](double p) { return v[(size_t)std::floor(p * (v.size() - 1) + 0.5)]; };
    const double bulk = std::max(std::fabs(q(0.1)), std::fabs(q(0.9))), top = std::max(std::fabs(lo), std::fabs(hi));
    if (!(top > 100 * bulk)) return r;
    r.scale = YScale::symlog;
    const double base = bulk > 0 ? bulk / 10 : top * 1e-3;
    r.c = pow10_int((int)std::floor(std::log10(base) + 1e-9));
    return r;
}

std::string line_chart_svg(const ChartSpec& spec, const std::vector<Series>& series) {
    check_spec(spec);
    if (series.empty()) throw symkl::Error("a line chart needs at least one series");
    Axis xa, ya;
    xa.log = spec.log_x;
    ya.log = spec.log_y || spec.y_scale == YScale::log;
    if (!ya.log && spec.y_scale != YScale::linear) {
        // every drawable y value decides the scale (automatic), or sets c (symlog)
        std::vector<double> ys;
        for (const Series& s : series)
            for (size_t k = 0; k < s.x.size() && k < s.y_med.size(); k++) {
                if (!xa.ok(s.x[k])) continue;
                ys.push_back(s.y_med[k]);
                if (s.y_lo.size() == s.x.size() && s.y_hi.size() == s.x.size()) ys.push_back(s.y_lo[k]), ys.push_back(s.y_hi[k]);
            }
        YScaleChoice c = choose_y_scale(ys);
        if (spec.y_scale == YScale::symlog && c.scale != YScale::symlog) {
            double top = 0;
            for (double y : ys)
                if (std::isfinite(y)) top = std::max(top, std::fabs(y));
            c.c = pow10_int((int)std::floor(std::log10(top > 0 ? top / 100 : 1) + 1e-9));
            c.scale = YScale::symlog;
        }
        ya.log = c.scale == YScale::log;
        ya.symlog = c.scale == YScale::symlog;
        ya.c = c.c;
    }
    double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY, legend_w = 0;
    for (size_t i = 0; i < series.size(); i++) {
        const Series& s = series[i];
        const size_t n = s.x.size();
        if (s.y_med.size() != n)
            throw symkl::Error(series_name(s, i) + ": x has " + std::to_string(n) + " values but y_med has " +
                               std::to_string(s.y_med.size()));
        if (s.y_lo.size() != s.y_hi.size() || (!s.y_lo.empty() && s.y_lo.size() != n))
            throw symkl::Error(series_name(s, i) + ": y_lo and y_hi must both be empty (no band) or have " +
                               std::to_string(n) + " values like x, got " + std::to_string(s.y_lo.size()) + " and " +
                               std::to_string(s.y_hi.size()));
        for (size_t k = 0; k < n; k++) {
            if (!xa.ok(s.x[k])) continue;
            bool any = false;
            for (double y : {s.y_med[k], s.y_lo.empty() ? NAN : s.y_lo[k], s.y_hi.empty() ? NAN : s.y_hi[k]})
                if (ya.ok(y)) y0 = std::min(y0, y), y1 = std::max(y1, y), any = true;
            if (any) x0 = std::min(x0, s.x[k]), x1 = std::max(x1, s.x[k]);
        }
        if (!s.label.empty()) legend_w = std::max(legend_w, text_width(s.label, LEGEND_FONT));
    }
    if (!(x0 <= x1))
        throw symkl::Error(std::string("nothing to draw: no series has a point with ") +
                           (xa.log ? "positive x" : "finite x") + " and " + (ya.log ? "positive y" : "finite y") +
                           (xa.log || ya.log ? " (a log axis cannot show values <= 0)" : ""));
    include_ticks(x0, x1, spec.x_ticks);
    set_range(xa, x0, x1, 0.02);
    set_range(ya, y0, y1, 0.05);
    Layout L;
    layout_axes(L, xa, ya, spec, legend_w);

    std::string out;
    svg_begin(out, spec);
    draw_grid(out, L, xa, ya);
    out += "<clipPath id=\"plot-area\"><rect x=\"" + num(L.left) + "\" y=\"" + num(L.top) + "\" width=\"" +
           num(L.right - L.left) + "\" height=\"" + num(L.bottom - L.top) + "\"/></clipPath>\n";
    out += "<g clip-path=\"url(#plot-area)\">\n";
    // Bands first, so every line is drawn over every band.
    for (size_t i = 0; i < series.size(); i++) {
        const Series& s = series[i];
        if (s.y_lo.empty()) continue;
        const char* colour = palette_colour(s.colour >= 0 ? s.colour : (int)i);
        // one polygon per run of points with finite x, lo and hi: the top edge left to
        // right, then the bottom edge right to left
        size_t k = 0;
        while (k < s.x.size()) {
            auto ok = [&](size_t j) { return xa.ok(s.x[j]) && ya.ok(s.y_lo[j]) && ya.ok(s.y_hi[j]); };
            if (!ok(k)) { k++; continue; }
            size_t end = k;
            while (end < s.x.size() && ok(end)) end++;
            if (end - k >= 2) {
                out += std::string("<polygon fill=\"") + colour + "\" fill-opacity=\"0.18\" stroke=\"none\" points=\"";
                for (size_t j = k; j < end; j++) out += num(xa.px(s.x[j])) + "," + num(ya.px(s.y_hi[j])) + " ";
                for (size_t j = end; j-- > k;)
                    out += num(xa.px(s.x[j])) + "," + num(ya.px(s.y_lo[j])) + (j > k ? " " : "");
                out += "\"/>\n";
            }
            k = end;
        }
    }
    // Median lines: one polyline per run of drawable points; a lone point is a dot (or
    // its marker). A series' markers go right over its own line.
    for (size_t i = 0; i < series.size(); i++) {
        const Series& s = series[i];
        const char* colour = palette_colour(s.colour >= 0 ? s.colour : (int)i);
        auto ok = [&](size_t j) { return xa.ok(s.x[j]) && ya.ok(s.y_med[j]); };
        size_t k = 0;
        while (k < s.x.size()) {
            if (!ok(k)) { k++; continue; }
            size_t end = k;
            while (end < s.x.size() && ok(end)) end++;
            if (end - k == 1) {
                if (!s.markers)
                    out += "<circle cx=\"" + num(xa.px(s.x[k])) + "\" cy=\"" + num(ya.px(s.y_med[k])) +
                           "\" r=\"2.50\" fill=\"" + colour + "\"/>\n";
            } else {
                out += "<polyline" + stroke_attrs(colour, 1.8, s.dash) + " points=\"";
                for (size_t j = k; j < end; j++)
                    out += num(xa.px(s.x[j])) + "," + num(ya.px(s.y_med[j])) + (j + 1 < end ? " " : "");
                out += "\"/>\n";
            }
            k = end;
        }
        if (s.markers) {
            out += std::string("<g fill=\"") + colour + "\">\n";
            for (size_t j = 0; j < s.x.size(); j++)
                if (ok(j))
                    out += "<circle cx=\"" + num(xa.px(s.x[j])) + "\" cy=\"" + num(ya.px(s.y_med[j])) + "\" r=\"" +
                           num(MARKER_R) + "\"/>\n";
            out += "</g>\n";
        }
    }
    out += "</g>\n";
    draw_axes(out, L, xa, ya, spec);
    if (L.legend) {
        out += "<g>\n";
        double y = L.top + 10;
        for (size_t i = 0; i < series.size(); i++) {
            const Series& s = series[i];
            if (s.label.empty()) continue;
            const char* colour = palette_colour(s.colour >= 0 ? s.colour : (int)i);
            if (!s.y_lo.empty())
                out += "<rect x=\"" + num(L.legend_x) + "\" y=\"" + num(y - 6) + "\" width=\"" + num(LEGEND_SWATCH) +
                       "\" height=\"12.00\" fill=\"" + colour + "\" fill-opacity=\"0.18\"/>\n";
            out += "<line x1=\"" + num(L.legend_x) + "\" y1=\"" + num(y) + "\" x2=\"" + num(L.legend_x + LEGEND_SWATCH) +
                   "\" y2=\"" + num(y) + "\"" + stroke_attrs(colour, 2, s.dash) + "/>\n";
            if (s.markers)
                out += "<circle cx=\"" + num(L.legend_x + LEGEND_SWATCH / 2) + "\" cy=\"" + num(y) + "\" r=\"" +
                       num(MARKER_R) + "\" fill=\"" + colour + "\"/>\n";
            text(out, L.legend_x + LEGEND_SWATCH + 8, y + 4, LEGEND_FONT, "start", s.label, " fill=\"#222222\"");
            y += LEGEND_ROW;
        }
        out += "</g>\n";
    }
    out += "</svg>\n";
    return out;
}

void write_line_chart(const std::string& path, const ChartSpec& spec, const std::vector<Series>& series) {
    std::string svg;
    try {
        svg = line_chart_svg(spec, series);
    } catch (const symkl::Error& e) {
        throw symkl::Error("cannot draw '" + path + "': " + e.what());
    }
    write_file_atomic(path, svg);
}

// ---------------------------------------------------------------------------
// Scatter plot

std::string scatter_svg(const ChartSpec& spec, const std::vector<PointSet>& sets, Aspect aspect) {
    check_spec(spec);
    if (spec.log_x || spec.log_y) throw symkl::Error("a scatter plot has linear axes: log_x and log_y are not supported");
    if (sets.empty()) throw symkl::Error("a scatter plot needs at least one point set");
    double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY, legend_w = 0;
    for (size_t i = 0; i < sets.size(); i++) {
        const PointSet& p = sets[i];
        if (p.x.size() != p.y.size())
            throw symkl::Error("point set " + (p.label.empty() ? std::to_string(i + 1) : "'" + p.label + "'") +
                               ": x has " + std::to_string(p.x.size()) + " values but y has " +
                               std::to_string(p.y.size()));
        for (size_t k = 0; k < p.x.size(); k++)
            if (std::isfinite(p.x[k]) && std::isfinite(p.y[k]))
                x0 = std::min(x0, p.x[k]), x1 = std::max(x1, p.x[k]), y0 = std::min(y0, p.y[k]),
                y1 = std::max(y1, p.y[k]);
        if (!p.label.empty()) legend_w = std::max(legend_w, text_width(p.label, LEGEND_FONT));
    }
    if (!(x0 <= x1)) throw symkl::Error("nothing to draw: no point set has a finite point");
    include_ticks(x0, x1, spec.x_ticks);
    pad_range(x0, x1, 0.05);
    pad_range(y0, y1, 0.05);
    Axis xa, ya;
    xa.lo = x0, xa.hi = x1, ya.lo = y0, ya.hi = y1;
    Layout L;
    layout_axes(L, xa, ya, spec, legend_w);
    if (aspect == Aspect::equal) {
        // Widen the range that has fewer data units per pixel, about its centre, until
        // both axes have the same; then the ticks are laid out again for the new ranges.
        const double ux = (x1 - x0) / (L.right - L.left), uy = (y1 - y0) / (L.bottom - L.top), u = std::max(ux, uy);
        const double cx = 0.5 * (x0 + x1), cy = 0.5 * (y0 + y1);
        const double hx = 0.5 * u * (L.right - L.left), hy = 0.5 * u * (L.bottom - L.top);
        xa.lo = cx - hx, xa.hi = cx + hx, ya.lo = cy - hy, ya.hi = cy + hy;
        const Layout before = L;
        layout_axes(L, xa, ya, spec, legend_w);
        // New y labels may have changed the left margin and so the plot width; keep the
        // scale equal by giving the x range the new width's share.
        if (L.right - L.left != before.right - before.left) {
            const double h = 0.5 * u * (L.right - L.left);
            xa.lo = cx - h, xa.hi = cx + h;
            set_x_ticks(xa, spec.x_ticks, L.right - L.left);
        }
    }

    std::string out;
    svg_begin(out, spec);
    draw_grid(out, L, xa, ya);
    out += "<clipPath id=\"plot-area\"><rect x=\"" + num(L.left) + "\" y=\"" + num(L.top) + "\" width=\"" +
           num(L.right - L.left) + "\" height=\"" + num(L.bottom - L.top) + "\"/></clipPath>\n";
    out += "<g clip-path=\"url(#plot-area)\">\n";
    for (size_t i = 0; i < sets.size(); i++) {
        const PointSet& p = sets[i];
        const char* colour = palette_colour(p.colour >= 0 ? p.colour : (int)i);
        out += std::string("<g fill=\"") + colour + "\" fill-opacity=\"" + num(p.opacity) + "\">\n";
        const std::string r = num(p.radius);
        for (size_t k = 0; k < p.x.size(); k++)
            if (std::isfinite(p.x[k]) && std::isfinite(p.y[k]))
                out += "<circle cx=\"" + num(xa.px(p.x[k])) + "\" cy=\"" + num(ya.px(p.y[k])) + "\" r=\"" + r + "\"/>\n";
        out += "</g>\n";
    }
    out += "</g>\n";
    draw_axes(out, L, xa, ya, spec);
    if (L.legend) {
        out += "<g>\n";
        double y = L.top + 10;
        for (size_t i = 0; i < sets.size(); i++) {
            const PointSet& p = sets[i];
            if (p.label.empty()) continue;
            const char* colour = palette_colour(p.colour >= 0 ? p.colour : (int)i);
            out += "<circle cx=\"" + num(L.legend_x + LEGEND_SWATCH / 2) + "\" cy=\"" + num(y) + "\" r=\"" +
                   num(std::max(3.0, std::min(6.0, p.radius))) + "\" fill=\"" + colour + "\"/>\n";
            text(out, L.legend_x + LEGEND_SWATCH + 8, y + 4, LEGEND_FONT, "start", p.label, " fill=\"#222222\"");
            y += LEGEND_ROW;
        }
        out += "</g>\n";
    }
    out += "</svg>\n";
    return out;
}

void write_scatter(const std::string& path, const ChartSpec& spec, const std::vector<PointSet>& sets, Aspect aspect) {
    std::string svg;
    try {
        svg = scatter_svg(spec, sets, aspect);
    } catch (const symkl::Error& e) {
        throw symkl::Error("cannot draw '" + path + "': " + e.what());
    }
    write_file_atomic(path, svg);
}

// ---------------------------------------------------------------------------
// Scatter matrix

std::string scatter_matrix_svg(const std::string& title, const std::vector<std::string>& names,
                               const std::vector<MatrixSet>& sets, int panel) {
    const size_t k = names.size();
    if (k < 1 || k > 6) throw symkl::Error("a scatter matrix shows 1 to 6 dimensions, got " + std::to_string(k));
    if (sets.empty() || panel < 60 || panel > 1000)
        throw symkl::Error("a scatter matrix needs a point set and panels of 60 to 1000 pixels");
    for (size_t i = 0; i < sets.size(); i++) {
        if (sets[i].columns.size() != k)
            throw symkl::Error("point set " + std::to_string(i + 1) + " has " + std::to_string(sets[i].columns.size()) +
                               " columns for " + std::to_string(k) + " dimensions");
        for (const std::vector<double>& c : sets[i].columns)
            if (c.size() != sets[i].columns[0].size())
                throw symkl::Error("point set " + std::to_string(i + 1) + ": its columns differ in length");
    }
    // Each dimension's range: the first set's finite values with 10% either side.
    std::vector<Axis> axes(k);
    for (size_t d = 0; d < k; d++) {
        double lo = INFINITY, hi = -INFINITY;
        for (double v : sets[0].columns[d])
            if (std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
        if (!(lo <= hi)) throw symkl::Error("nothing to draw: dimension " + names[d] + " has no finite value");
        const double m = hi > lo ? 0.1 * (hi - lo) : 1;
        axes[d].lo = lo - m, axes[d].hi = hi + m;
        set_linear_ticks(axes[d], 4);
    }
    double legend_w = 0, label_w = 0;
    for (const MatrixSet& m : sets)
        if (!m.label.empty()) legend_w = std::max(legend_w, text_width(m.label, LEGEND_FONT));
    for (const Axis& a : axes) label_w = std::max(label_w, max_label_width(a));
    const double gap = 10, top = title.empty() ? 16 : 42, left = 8 + 22 + label_w + 10;
    const double grid = k * panel + (k - 1) * gap;
    const int W = (int)std::ceil(left + grid + (legend_w > 0 ? 18 + LEGEND_SWATCH + 8 + legend_w + 12 : 24));
    const int H = (int)std::ceil(top + grid + 52);
    ChartSpec spec;
    spec.width = W, spec.height = H;
    std::string out;
    svg_begin(out, spec);
    auto px0 = [&](size_t col) { return left + col * (panel + gap); };
    auto py0 = [&](size_t row) { return top + row * (panel + gap); };
    for (size_t row = 0; row < k; row++)
        for (size_t col = 0; col < k; col++) {
            Axis xa = axes[col], ya = axes[row];
            xa.p_lo = px0(col), xa.p_hi = px0(col) + panel;
            ya.p_lo = py0(row) + panel, ya.p_hi = py0(row);
            const std::string id = "p" + std::to_string(row) + "-" + std::to_string(col);
            out += "<clipPath id=\"" + id + "\"><rect x=\"" + num(xa.p_lo) + "\" y=\"" + num(ya.p_hi) +
                   "\" width=\"" + num((double)panel) + "\" height=\"" + num((double)panel) + "\"/></clipPath>\n";
            out += "<g>\n";
            for (double v : xa.major) line(out, xa.px(v), ya.p_hi, xa.px(v), ya.p_lo, "#eeeeee", 1);
            if (row != col)
                for (double v : ya.major) line(out, xa.p_lo, ya.px(v), xa.p_hi, ya.px(v), "#eeeeee", 1);
            out += "</g>\n<g clip-path=\"url(#" + id + ")\">\n";
            if (row == col) {
                // histograms over the dimension's range, each set scaled to its own count,
                // the tallest bar of any set at 90% of the panel
                const int bins = 24;
                std::vector<std::vector<double>> h(sets.size(), std::vector<double>(bins, 0));
                double tallest = 0;
                for (size_t si = 0; si < sets.size(); si++) {
                    double n = 0;
                    for (double v : sets[si].columns[col])
                        if (std::isfinite(v) && v >= xa.lo && v <= xa.hi) {
                            h[si][std::min(bins - 1, (int)((v - xa.lo) / (xa.hi - xa.lo) * bins))] += 1;
                            n += 1;
                        }
                    for (double& c : h[si]) c = n > 0 ? c / n : 0, tallest = std::max(tallest, c);
                }
                for (size_t si = 0; si < sets.size(); si++) {
                    const char* colour = palette_colour(sets[si].colour >= 0 ? sets[si].colour : (int)si);
                    out += "<polyline" + stroke_attrs(colour, 1.5, Dash::solid) + " points=\"";
                    for (int b = 0; b < bins; b++) {
                        const double y = ya.p_lo - (tallest > 0 ? 0.9 * panel * h[si][b] / tallest : 0);
                        const double xa0 = xa.p_lo + (double)b / bins * panel, xa1 = xa.p_lo + (b + 1.0) / bins * panel;
                        out += (b ? " " : "") + num(xa0) + "," + num(y) + " " + num(xa1) + "," + num(y);
                    }
                    out += "\"/>\n";
                }
            } else {
                for (size_t si = 0; si < sets.size(); si++) {
                    const MatrixSet& m = sets[si];
                    const char* colour = palette_colour(m.colour >= 0 ? m.colour : (int)si);
                    out += std::string("<g fill=\"") + colour + "\" fill-opacity=\"" + num(m.opacity) + "\">\n";
                    const std::vector<double>&x = m.columns[col], &y = m.columns[row];
                    for (size_t i = 0; i < x.size(); i++)
                        if (std::isfinite(x[i]) && std::isfinite(y[i]) && x[i] >= xa.lo && x[i] <= xa.hi &&
                            y[i] >= ya.lo && y[i] <= ya.hi)
                            out += "<circle cx=\"" + num(xa.px(x[i])) + "\" cy=\"" + num(ya.px(y[i])) + "\" r=\"" +
                                   num(m.radius) + "\"/>\n";
                    out += "</g>\n";
                }
            }
            out += "</g>\n";
            out += "<rect x=\"" + num(xa.p_lo) + "\" y=\"" + num(ya.p_hi) + "\" width=\"" + num((double)panel) +
                   "\" height=\"" + num((double)panel) + "\" fill=\"none\" stroke=\"#444444\" stroke-width=\"1\"/>\n";
            out += "<g fill=\"#222222\">\n";
            if (row + 1 == k) {
                for (size_t i = 0; i < xa.major.size(); i++) {
                    line(out, xa.px(xa.major[i]), ya.p_lo, xa.px(xa.major[i]), ya.p_lo + 4, "#444444", 1);
                    text(out, xa.px(xa.major[i]), ya.p_lo + 17, TICK_FONT, "middle", xa.labels[i]);
                }
                text(out, 0.5 * (xa.p_lo + xa.p_hi), ya.p_lo + 38, LABEL_FONT, "middle", names[col]);
            }
            if (col == 0) {
                // the row's dimension, as the other panels of the row show it (the
                // diagonal panel's own height is a histogram's)
                for (size_t i = 0; i < ya.major.size(); i++) {
                    line(out, xa.p_lo - 4, ya.px(ya.major[i]), xa.p_lo, ya.px(ya.major[i]), "#444444", 1);
                    text(out, xa.p_lo - 7, ya.px(ya.major[i]) + 4, TICK_FONT, "end", ya.labels[i]);
                }
                const double mid = 0.5 * (ya.p_lo + ya.p_hi);
                const std::string rot = " transform=\"rotate(-90 " + num(18) + " " + num(mid) + ")\"";
                text(out, 18, mid, LABEL_FONT, "middle", names[row], rot.c_str());
            }
            out += "</g>\n";
        }
    if (!title.empty()) {
        const double tw = 1.1 * text_width(title, TITLE_FONT);
        const double size = std::max(9.0, std::min(TITLE_FONT, TITLE_FONT * (W - 16) / std::max(1.0, tw)));
        text(out, 0.5 * W, 26, size, "middle", title, " font-weight=\"bold\" fill=\"#222222\"");
    }
    if (legend_w > 0) {
        out += "<g>\n";
        double y = top + 10;
        const double lx = left + grid + 18;
        for (size_t i = 0; i < sets.size(); i++) {
            if (sets[i].label.empty()) continue;
            const char* colour = palette_colour(sets[i].colour >= 0 ? sets[i].colour : (int)i);
            out += "<circle cx=\"" + num(lx + LEGEND_SWATCH / 2) + "\" cy=\"" + num(y) + "\" r=\"3.00\" fill=\"" +
                   colour + "\"/>\n";
            text(out, lx + LEGEND_SWATCH + 8, y + 4, LEGEND_FONT, "start", sets[i].label, " fill=\"#222222\"");
            y += LEGEND_ROW;
        }
        out += "</g>\n";
    }
    out += "</svg>\n";
    return out;
}

void write_scatter_matrix(const std::string& path, const std::string& title, const std::vector<std::string>& names,
                          const std::vector<MatrixSet>& sets, int panel) {
    std::string svg;
    try {
        svg = scatter_matrix_svg(title, names, sets, panel);
    } catch (const symkl::Error& e) {
        throw symkl::Error("cannot draw '" + path + "': " + e.what());
    }
    write_file_atomic(path, svg);
}
