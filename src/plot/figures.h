// figures.h — the figures of a training run: the learnt density, samples over the
// data, and learning curves from metrics.csv files (docs/figures.md shows how to read them).
//
//   density   p(x) / max p on a grid over the data      (PNG heatmap, 2-D flows)
//   samples   x = T(z), z ~ N(0, I), over the training set (SVG scatter, 2-D flows)
//   pairs     the same as a scatter matrix of up to 4 dimensions       (SVG, any D)
//   images    rows of a CSV as a grid of small greyscale images         (PNG)
//   curves    train and test NLL, the true KLs and λ against the step, median and
//             min–max band over the runs (seeds) that share a label   (SVG line charts)
#pragma once
#include <cmath>
#include <string>
#include <vector>

#include "data/toy.h"
#include "flow/flow.h"
#include "plot/metrics_file.h"
#include "plot/png.h"
#include "plot/raster.h"
#include "plot/svg.h"

struct Rng;

// The region the 2-D figures show: the bounding box of the data, widened by 10% of
// its extent on each side (a point set of zero extent gets ±1), then widened about its
// centre along one axis until width / height of the box equals aspect (equal scales).
struct Box {
    double x0 = 0, x1 = 1, y0 = 0, y1 = 1;
};
Box data_box(const Tensor& data, double aspect);

// The density of the 2-D flow f as a PNG figure over data_box(data, width / height): a
// panel of width × height pixels where the pixel at column i, row j (row 0 at the top)
// shows p at the pixel's centre divided by the largest p on the grid, so colour 0 → 1 is
// density 0 → max (linear: a point at 1% of the peak is as dark as empty space; the modes
// and their shapes stand out), with axes in data units, a colour bar and the title
// "<subject>: learnt density p(x) / max p" (write_density_figure). log p is evaluated in
// chunks of up to 4096 points through one FlowCache, allocated once. A log p of −∞ is
// density 0; NaN or +∞ is drawn in HEATMAP_NAN_RGB. Throws symkl::Error unless f and
// data are 2-dimensional and some log p on the grid is finite.
void density_heatmap(const std::string& path, const Flow& f, const Tensor& data, int width, int height,
                     Colormap cmap = Colormap::blue_yellow, const std::string& subject = "");

// The density on a width × height grid of pixel centres over the box b (row 0 at the
// top), as p / max p: of the 2-D flow f, or the true density of a toy data set. A pixel
// where log p = −∞ is 0, where it is NaN stays NaN.
std::vector<double> flow_density_grid(const Flow& f, const Box& b, int width, int height);
std::vector<double> toy_density_grid(Toy t, const Box& b, int width, int height);
std::vector<double> normalise_log_density(std::vector<double> log_p);

// One heatmap of a density figure: width × height values in [0, 1] (row-major, as the
// grids above; NaN is drawn in HEATMAP_NAN_RGB) and the name printed above it.
struct DensityPanel {
    std::string label;
    std::vector<double> values;
};

// Density panels side by side in one PNG, all over the box b: each with its label above
// it (the 5×7 font of plot/raster.h), x ticks in data units below it, y ticks left of the
// first, a one-pixel frame, and a colour bar "p / max p" from 0 to 1 on the right; the
// title (if any) on top. Text is drawn at scale 2 beside panels of 200 pixels or more.
void write_density_figure(const std::string& path, const std::string& title, const Box& b,
                          const std::vector<DensityPanel>& panels, int width, int height,
                          Colormap cmap = Colormap::blue_yellow);

// n_samples points x = T(z) of the 2-D flow f (z drawn from rng, in order) over the
// training data, as an SVG scatter with equal scales, titled "<subject>: flow samples
// over the training data". The view is data_box(data, 1): samples outside it are left
// out and counted in the title. Throws symkl::Error unless f and data are 2-dimensional
// and n_samples ≥ 1.
void samples_scatter(const std::string& path, const Flow& f, const Tensor& data, int n_samples, Rng& rng,
                     const std::string& subject = "");

// The dimensions a pair plot shows: the first (up to) `most` of data's columns that are
// not constant in it (constant ones, such as the blank border pixels of an image, would
// show nothing); the first `most` columns when none varies.
std::vector<int> pair_dimensions(const Tensor& data, int most = 4);

// A pair plot for flows of any dimension D ≥ 2: a scatter matrix (svg.h) of
// pair_dimensions(data) with the training data (black) and n_samples points x = T(z) of
// the flow (blue) on top, titled "<subject>: flow samples against the training data".
// Throws symkl::Error when the flow's and the data's dimensions differ or n_samples < 1.
void pairs_plot(const std::string& path, const Flow& f, const Tensor& data, int n_samples, Rng& rng,
                const std::string& subject = "");

// Images (e.g. samples of 8x8 digits) as a PNG grid.
struct ImageGridSpec {
    int width = 8, height = 8;        // pixels of one image: a row holds width·height values, row by row
    int columns = 10, rows = 10;      // images across and down (at most columns·rows are drawn)
    int zoom = 4;                     // screen pixels per image pixel, each way
    double vmin = NAN, vmax = NAN;    // the grey ramp's ends: vmin white, vmax black (NaN: the
                                      // smallest and largest value of all the panels)
};
struct ImagePanel {
    std::string label;                // printed above the grid ("" = none)
    std::vector<double> values;       // n_images · width · height values, image after image
    int n_images = 0;
};
// One grid per panel, side by side with the same grey scale, each image zoomed and 1
// pixel of light grey between images; a value outside [vmin, vmax] is clamped, NaN is
// drawn in HEATMAP_NAN_RGB. Panel labels use the 5×7 font of plot/raster.h. Throws
// symkl::Error for sizes out of range or a panel whose values do not fill n_images.
void write_image_grids(const std::string& path, const std::vector<ImagePanel>& panels, const ImageGridSpec& spec);
// One grid of n_images images of width × height (rows: n_images · width · height values).
void write_image_grid(const std::string& path, const std::vector<double>& rows, int n_images, int width, int height);

// Runs that share a label: usually one configuration trained with several seeds.
struct RunGroup {
    std::string label;               // "" for a single unnamed run
    std::vector<MetricsTable> runs;  // at least one
};

// Column y against the column "step" for a group: at every step logged by any run,
// the median of the runs' finite values, and (with two or more runs) their min and
// max as the band; NaN (a gap) where no run has a finite value. Throws symkl::Error
// naming the file and the column when one is missing, or the line where the steps do
// not increase.
Series group_series(const RunGroup& g, const std::string& y);

// A readable axis title for a metrics column: "test_nll" → "test NLL (nats)", ...;
// unknown columns come back as they are.
std::string column_title(const std::string& column);

// Writes the learning curves of the groups into the directory dir and returns the
// paths written:
//   dir/nll.svg     test NLL (solid) and train NLL (dashed)      always
//   dir/kl.svg      Jeffreys, forward KL, reverse KL             when a run has a finite value
//   dir/lambda.svg  λ, the dual variable of the proxy constraint when a run has a finite value
// One colour per quantity for a single group, one per group for several. The columns
// step, train_nll and test_nll are required (symkl::Error naming file and column);
// the others are optional, but a group must have them in all its runs or in none.
// Titles are "<subject>: what" ("moons · jeffreys: negative log-likelihood"), or just
// what the chart shows when subject is empty.
std::vector<std::string> learning_curves(const std::string& dir, const std::vector<RunGroup>& groups,
                                         const std::string& subject = "");
