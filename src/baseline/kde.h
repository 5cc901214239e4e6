// kde.h — the kernel density estimate baseline: a Gaussian kernel at each training row,
// with the diagonal covariance h² diag(s_j²), s_j the standard deviation (divided by n)
// of column j of the training rows:
//
//   log p(x) = logsumexp_i ( −½ Σ_j ((x_j − t_ij) / (h s_j))² ) − log n − D log h
//              − Σ_j log s_j − (D/2) log 2π
//
// Scale-equivariant like the Gaussian baseline, so fitted on the raw rows. The bandwidth
// h is chosen from kde_h_grid() by kde_select (baseline/grid.h). The sum over kernels is a
// log-sum-exp (shifted by the largest term) in a serial loop, in double.
#pragma once
#include <vector>

#include "baseline/grid.h"
#include "tensor/rng.h"
#include "tensor/tensor.h"

struct KDE {
    int dim = 0;
    double h = 1;
    std::vector<double> scale;  // (D) s_j
    Tensor centres;             // (n, D) the training rows
};

// s_j of the rows (at least 1 row); throws symkl::Error naming the first column (from 0)
// with zero spread.
std::vector<double> kde_scales(const Tensor& x);
// The kernels at the rows of x with bandwidth h (> 0).
void kde_fit(KDE& k, const Tensor& x, double h);
// From stored values (a checkpoint); false when a scale is not positive or h is not.
bool kde_set(KDE& k, const Tensor& centres, const std::vector<double>& scale, double h);

void kde_log_prob(double* out, const KDE& k, const Tensor& x);
double kde_nll(const KDE& k, const Tensor& x);
// n draws: a centre uniformly, plus h s ⊙ z with z ~ N(0, I), from rng.
void kde_sample(Tensor& out, const KDE& k, int n, Rng& rng);

// h = 10^(i/8) for i = −16 .. 8 (0.01 to 10, 25 values)
const std::vector<double>& kde_h_grid();
// Scores every h of the grid (baseline/grid.h); val may have 0 rows.
GridChoice kde_select(const Tensor& train, const Tensor& val, const std::vector<double>& grid);
