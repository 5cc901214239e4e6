// figures.h — the figures of a training run: the learnt density, samples over the
// data, and learning curves from metrics.csv files (docs/figures.md shows how to read them).
//
//   density   p(x) / max p on a grid over the data      (PNG heatmap, 2-D flows)
//   samples   x = T(z), z ~ N(0, I), over the training set (SVG scatter, 2-D flows)
//   curves    train and test NLL, the true KLs and λ against the step, median and
//             min–max band over the runs (seeds) that share a label   (SVG line charts)
#pragma once
#include <string>
#include <vector>

#include "data/toy.h"
#include "flow/flow.h"
#include "plot/metrics_file.h"
#include "plot/png.h"
#include "plot/svg.h"

struct Rng;

// The region the 2-D figures show: the bounding box of the data, widened by 10% of
// its extent on each side (a point set of zero extent gets ±1), then widened about its
// centre along one axis until width / height of the box equals aspect (equal scales).
struct Box {
    double x0 = 0, x1 = 1, y0 = 0, y1 = 1;
};
Box data_box(const Tensor& data, double aspect);

// The density of the 2-D flow f as a width × height PNG over data_box(data, width / height):
// the pixel at column i, row j (row 0 at the top) shows p at the pixel's centre, divided
// by the largest p on the grid, so colour 0 → 1 is density 0 → max (linear: a point at
// 1% of the peak is as dark as empty space; the modes and their shapes stand out).
// log p is evaluated in chunks of up to 4096 points through one FlowCache, allocated
// once. A log p of −∞ is density 0; NaN or +∞ is drawn in HEATMAP_NAN_RGB. Throws symkl::Error unless f and
// data are 2-dimensional and some log p on the grid is finite.
void density_heatmap(const std::string& path, const Flow& f, const Tensor& data, int width, int height,
                     Colormap cmap = Colormap::blue_yellow);

// The density on a width × height grid of pixel centres over the box b (row 0 at the
// top), as p / max p: of the 2-D flow f, or the true density of a toy data set. A pixel
// where log p = −∞ is 0, where it is NaN stays NaN.
std::vector<double> flow_density_grid(const Flow& f, const Box& b, int width, int height);
std::vector<double> toy_density_grid(Toy t, const Box& b, int width, int height);
std::vector<double> normalise_log_density(std::vector<double> log_p);

// Heatmaps side by side in one PNG: panels of width × height values in [0, 1] (row-major,
// as the grids above), `gap` white pixel columns between them.
void write_heatmap_row(const std::string& path, const std::vector<std::vector<double>>& panels, int width, int height,
                       int gap, Colormap cmap = Colormap::blue_yellow);

// n_samples points x = T(z) of the 2-D flow f (z drawn from rng, in order) over the
// training data, as an SVG scatter with equal scales. The view is data_box(data, 1):
// samples outside it are left out and counted in the title. Throws symkl::Error unless
// f and data are 2-dimensional and n_samples ≥ 1.
void samples_scatter(const std::string& path, const Flow& f, const Tensor& data, int n_samples, Rng& rng);

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
std::vector<std::string> learning_curves(const std::string& dir, const std::vector<RunGroup>& groups);
