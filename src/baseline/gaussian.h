// gaussian.h — the full-covariance Gaussian baseline with shrinkage towards the diagonal:
//
//   Σ_α = (1 − α) S + α diag(S),   S = (1/n) Σ_i (x_i − μ)(x_i − μ)ᵀ,  μ = the column means
//
// log N(x; μ, Σ_α) = −½ (x − μ)ᵀ Σ_α⁻¹ (x − μ) − ½ log det Σ_α − (D/2) log 2π, through the
// Cholesky factor Σ_α = L Lᵀ. Scale-equivariant (rescaling a column rescales μ and Σ_α
// alike), so it is fitted on the raw rows. α = 1 is the diagonal (independent columns)
// model; α is chosen from gaussian_alpha_grid() by gaussian_select (baseline/grid.h).
// Arithmetic in double, serial loops: the same bits with any thread count.
#pragma once
#include <string>
#include <vector>

#include "baseline/grid.h"
#include "tensor/rng.h"
#include "tensor/tensor.h"

struct Gaussian {
    int dim = 0;
    double alpha = 0;
    std::vector<double> mean;  // (D)
    std::vector<double> cov;   // (D, D) row-major Σ_α
    std::vector<double> chol;  // (D, D) row-major lower-triangular L
    double log_det = 0;        // log det Σ_α
};

// The column means and S of the rows (at least 2 rows). Throws symkl::Error naming the
// first column (from 0) with zero variance: no Gaussian has a density there.
void gaussian_moments(const Tensor& x, std::vector<double>& mean, std::vector<double>& S);
// Σ_α from the moments and its factor; false (g unchanged) when Σ_α is not positive definite.
bool gaussian_from_moments(Gaussian& g, const std::vector<double>& mean, const std::vector<double>& S, double alpha);
// Fits μ and Σ_α to the rows; throws symkl::Error when Σ_α is not positive definite.
void gaussian_fit(Gaussian& g, const Tensor& x, double alpha);
// From stored values (a checkpoint): false when cov is not symmetric positive definite.
bool gaussian_set(Gaussian& g, const std::vector<double>& mean, const std::vector<double>& cov, double alpha);

// log N(x_i; μ, Σ_α) for each row of x into out (x.rows values).
void gaussian_log_prob(double* out, const Gaussian& g, const Tensor& x);
// −mean log-density over the rows.
double gaussian_nll(const Gaussian& g, const Tensor& x);
// n draws μ + L z, z ~ N(0, I) from rng, into out (n, D).
void gaussian_sample(Tensor& out, const Gaussian& g, int n, Rng& rng);

// 0, 0.001, 0.003, 0.01, 0.03, 0.1, 0.2, 0.3, 0.5, 0.7, 1
const std::vector<double>& gaussian_alpha_grid();
// Scores every α of the grid (baseline/grid.h) and returns the choice; val may have 0 rows.
GridChoice gaussian_select(const Tensor& train, const Tensor& val, const std::vector<double>& grid);
