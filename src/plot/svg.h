// svg.h — line charts and scatter plots written as SVG text.
//
// A chart maps data coordinates to pixels with one affine map per axis,
//
//   px = left + (x − x_lo) / (x_hi − x_lo) · plot_width
//   py = top + (1 − (y − y_lo) / (y_hi − y_lo)) · plot_height     (y grows upwards)
//
// with log10(x) in place of x, log10(y) in place of y, on a log axis (either or both), and
// sign(y)·log10(1 + |y|/c) in place of y on a symlog axis. The y axis chooses its scale
// from the data unless told (YScale): values spanning more than two decades get a log or
// symlog axis, so one huge early value does not flatten the rest of a curve.
// Axes get "nice" ticks (1, 2 or 5 times a power of ten; decades on a log axis) or the
// x ticks the caller gives, a title, axis labels and a legend to the right of the plot.
// A line chart draws each series as a median line with an optional min–max band (the
// shape of a learning curve over seeds) and optional markers (a disc on every point, for
// a sweep of a few x values); a NaN breaks the line, so missing values show as gaps,
// never as zeros. Every number is printed with fixed precision: the same input always
// gives the same bytes. Colours come from a fixed palette that stays distinct for
// readers with the common forms of colour blindness (docs/figures.md).
#pragma once
#include <string>
#include <vector>

enum class Dash { solid, dashed, dotted };

// One line of a line chart. y_lo and y_hi are both empty (no band) or both as long as x.
struct Series {
    std::string label;                // legend entry ("" = not in the legend)
    std::vector<double> x, y_med, y_lo, y_hi;
    int colour = -1;                  // palette index; -1 = the series' position in the list
    Dash dash = Dash::solid;
    bool markers = false;             // a disc on every drawable median point, and in the legend
};

// The y axis of a line chart. automatic: log when every value is positive and the
// largest is over 100 times the smallest; symlog when some are ≤ 0 and the largest
// magnitude is over 100 times the bulk's (choose_y_scale); linear otherwise.
enum class YScale { automatic, linear, log, symlog };

struct ChartSpec {
    std::string title, xlabel, ylabel;
    bool log_x = false;               // decades with minor ticks; values ≤ 0 leave gaps
    bool log_y = false;               // the same for y (YScale::log, whatever y_scale says)
    YScale y_scale = YScale::automatic;  // line charts; scatter plots are always linear
    // Labelled x ticks at exactly these values (e.g. 100, 300, 1000 on a log axis), the x
    // range grown to hold them; on a log axis the usual ticks stay as unlabelled minor
    // ones. Empty: ticks chosen automatically. Values must be finite (> 0 on a log axis).
    std::vector<double> x_ticks;
    int width = 720, height = 440;    // pixels
};

// One set of points of a scatter plot, drawn as discs of the given radius (pixels).
struct PointSet {
    std::string label;
    std::vector<double> x, y;
    double radius = 1.5;
    double opacity = 0.6;             // lets dense regions show through overlapping discs
    int colour = -1;                  // palette index; -1 = the set's position in the list
};

enum class Aspect { free, equal };    // equal: one data unit is as long on both axes

// The palette: n colours (n ≥ 1 cycles) as "#rrggbb".
const char* palette_colour(int i);

// Writes a line chart to path (atomically). Throws symkl::Error when there is nothing
// finite to draw, when lengths disagree (naming the series), or for a size below 200×150.
void write_line_chart(const std::string& path, const ChartSpec& spec, const std::vector<Series>& series);

// Writes a scatter plot of the point sets, in order (the last on top). Non-finite points
// are skipped. Throws symkl::Error as write_line_chart does; log_x and log_y are not
// supported here.
void write_scatter(const std::string& path, const ChartSpec& spec, const std::vector<PointSet>& sets, Aspect aspect);

// The SVG text that write_line_chart / write_scatter write (for tests and embedding).
std::string line_chart_svg(const ChartSpec& spec, const std::vector<Series>& series);
std::string scatter_svg(const ChartSpec& spec, const std::vector<PointSet>& sets, Aspect aspect);

// The rule of YScale::automatic for a chart's y values (non-finite ones ignored):
//   all > 0 and max / min > 100                       → log
//   some ≤ 0 and max |y| > 100 · B                     → symlog with c = the power of ten
//                                                        at or below B / 10
//   otherwise                                          → linear
// where B = max(|10th percentile|, |90th percentile|), the size of the bulk of the
// values (c = max |y| / 1000, rounded down to a power of ten, when B = 0). A symlog axis
// maps y to sign(y)·log10(1 + |y| / c): linear within ±c, a decade per decade beyond.
struct YScaleChoice {
    YScale scale = YScale::linear;
    double c = 1;
};
YScaleChoice choose_y_scale(std::vector<double> values);

// One set of points of a scatter matrix: columns[d][i] is coordinate d of point i.
struct MatrixSet {
    std::string label;
    std::vector<std::vector<double>> columns;
    double radius = 1.2;
    double opacity = 0.5;
    int colour = -1;                  // palette index; -1 = the set's position in the list
};

// A scatter matrix (pair plot) of k = names.size() dimensions (1 to 6), panels of
// `panel` pixels: panel (row i, column j) plots dimension j across and i up, the sets in
// order (the last on top); the diagonal panel of dimension i has each set's histogram of
// it (24 bins, each set's counts as fractions of its points, the tallest bar at 90% of
// the panel). Tick labels run along the bottom row (each column's dimension) and the left
// column (each row's). Each dimension's range is the first set's values ±10% of their extent;
// points of other sets outside it are left out. Throws symkl::Error when the sets do not
// have k columns of equal length or the first set has no finite value in a dimension.
std::string scatter_matrix_svg(const std::string& title, const std::vector<std::string>& names,
                               const std::vector<MatrixSet>& sets, int panel = 150);
void write_scatter_matrix(const std::string& path, const std::string& title, const std::vector<std::string>& names,
                          const std::vector<MatrixSet>& sets, int panel = 150);

// Ticks inside [lo, hi] (lo < hi) at multiples of the smallest step of the form
// {1, 2, 5}·10^k that gives at most max_ticks of them: [0, 1] → 0, 0.2, …, 1 and
// [3.2, 14.7] → 4, 6, …, 14 for max_ticks = 8. step receives the step.
std::vector<double> nice_ticks(double lo, double hi, int max_ticks, double* step);

// Ticks of a log axis over [lo, hi] (0 < lo < hi). Major (labelled) ticks sit at the
// powers of ten inside the range and, when it spans two decades or less, also at 2 and
// 5 times them; minor ticks at the other multiples 2..9. When fewer than two major
// ticks fall inside, the range is first widened to whole decades.
struct LogTicks {
    double lo = 0, hi = 0;            // the range, widened or not
    std::vector<double> major, minor; // ascending
};
LogTicks log_ticks(double lo, double hi);

// A tick label: the value with the decimals its step needs ("0.2", "14", "2500"), or in
// exponent form below 1e-4 and from 1e7 on ("1e-6", "2e8").
std::string tick_label(double v, double step);
