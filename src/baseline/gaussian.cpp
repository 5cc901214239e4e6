// gaussian.cpp — moments, shrinkage, Cholesky, log-density, sampling and the α grid.
#include "baseline/gaussian.h"

#include <cmath>

#include "baseline/grid.h"
#include "tensor/error.h"

static const double kLog2Pi = 1.8378770664093454836;

void gaussian_moments(const Tensor& x, std::vector<double>& mean, std::vector<double>& S) {
    const int n = x.rows, D = x.cols;
    if (n < 2) throw symkl::Error("a Gaussian needs at least 2 rows, got " + std::to_string(n));
    mean.assign((size_t)D, 0.0);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < D; j++) mean[(size_t)j] += (double)x.at(i, j);
    for (double& m : mean) m /= n;
    S.assign((size_t)D * D, 0.0);
    std::vector<double> c((size_t)D);
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < D; j++) c[(size_t)j] = (double)x.at(i, j) - mean[(size_t)j];
        for (int a = 0; a < D; a++)
            for (int b = 0; b <= a; b++) S[(size_t)a * D + b] += c[(size_t)a] * c[(size_t)b];
    }
    for (int a = 0; a < D; a++)
        for (int b = 0; b <= a; b++) S[(size_t)b * D + a] = S[(size_t)a * D + b] /= n;
    for (int j = 0; j < D; j++)
        if (!(S[(size_t)j * D + j] > 0))
            throw symkl::Error("column " + std::to_string(j) + " has the same value in all " + std::to_string(n) +
                               " training rows: a density over it does not exist (drop the column)");
}

// Lower-triangular L with L Lᵀ = A (D × D); false when A is not positive definite.
static bool cholesky(const std::vector<double>& A, int D, std::vector<double>& L, double& log_det) {
    L.assign((size_t)D * D, 0.0);
    log_det = 0;
    for (int j = 0; j < D; j++) {
        double d = A[(size_t)j * D + j];
        for (int k = 0; k < j; k++) d -= L[(size_t)j * D + k] * L[(size_t)j * D + k];
        if (!(d > 0) || !std::isfinite(d)) return false;
        const double ljj = std::sqrt(d);
        L[(size_t)j * D + j] = ljj;
        log_det += 2 * std::log(ljj);
        for (int i = j + 1; i < D; i++) {
            double s = A[(size_t)i * D + j];
            for (int k = 0; k < j; k++) s -= L[(size_t)i * D + k] * L[(size_t)j * D + k];
            L[(size_t)i * D + j] = s / ljj;
        }
    }
    return std::isfinite(log_det);
}

bool gaussian_set(Gaussian& g, const std::vector<double>& mean, const std::vector<double>& cov, double alpha) {
    const int D = (int)mean.size();
    if (D < 1 || cov.size() != (size_t)D * D) return false;
    for (int a = 0; a < D; a++)
        for (int b = 0; b < a; b++)
            if (cov[(size_t)a * D + b] != cov[(size_t)b * D + a]) return false;
    std::vector<double> L;
    double log_det = 0;
    if (!cholesky(cov, D, L, log_det)) return false;
    g.dim = D, g.alpha = alpha, g.mean = mean, g.cov = cov, g.chol = std::move(L), g.log_det = log_det;
    return true;
}

bool gaussian_from_moments(Gaussian& g, const std::vector<double>& mean, const std::vector<double>& S, double alpha) {
    const int D = (int)mean.size();
    std::vector<double> cov(S);
    for (int a = 0; a < D; a++)
        for (int b = 0; b < D; b++)
            if (a != b) cov[(size_t)a * D + b] = (1 - alpha) * S[(size_t)a * D + b];
    return gaussian_set(g, mean, cov, alpha);
}

void gaussian_fit(Gaussian& g, const Tensor& x, double alpha) {
    std::vector<double> mean, S;
    gaussian_moments(x, mean, S);
    if (!gaussian_from_moments(g, mean, S, alpha))
        throw symkl::Error("the shrunk covariance with alpha = " + std::to_string(alpha) + " of " +
                           std::to_string(x.rows) + " rows is not positive definite (more shrinkage, or more rows)");
}

void gaussian_log_prob(double* out, const Gaussian& g, const Tensor& x) {
    const int D = g.dim;
    std::vector<double> y((size_t)D);
    for (int i = 0; i < x.rows; i++) {
        // solve L y = x − μ; the quadratic form is ‖y‖²
        double q = 0;
        for (int a = 0; a < D; a++) {
            double s = (double)x.at(i, a) - g.mean[(size_t)a];
            for (int k = 0; k < a; k++) s -= g.chol[(size_t)a * D + k] * y[(size_t)k];
            y[(size_t)a] = s / g.chol[(size_t)a * D + a];
            q += y[(size_t)a] * y[(size_t)a];
        }
        out[i] = -0.5 * q - 0.5 * g.log_det - 0.5 * D * kLog2Pi;
    }
}

double gaussian_nll(const Gaussian& g, const Tensor& x) {
    return baseline_mean_nll(x, [&](double* out, const Tensor& rows) { gaussian_log_prob(out, g, rows); });
}

void gaussian_sample(Tensor& out, const Gaussian& g, int n, Rng& rng) {
    const int D = g.dim;
    out.resize(n, D);
    std::vector<double> z((size_t)D);
    for (int i = 0; i < n; i++) {
        for (double& v : z) v = rng.normal();
        for (int a = 0; a < D; a++) {
            double s = g.mean[(size_t)a];
            for (int k = 0; k <= a; k++) s += g.chol[(size_t)a * D + k] * z[(size_t)k];
            out.at(i, a) = (Real)s;
        }
    }
}

const std::vector<double>& gaussian_alpha_grid() {
    static const std::vector<double> grid = {0, 0.001, 0.003, 0.01, 0.03, 0.1, 0.2, 0.3, 0.5, 0.7, 1};
    return grid;
}

// NLL of the model with α fitted on `fit`, on `score`; +inf when Σ_α is not positive definite.
static double score(const std::vector<double>& mean, const std::vector<double>& S, double alpha, const Tensor& rows) {
    Gaussian g;
    if (!gaussian_from_moments(g, mean, S, alpha)) return INFINITY;
    return gaussian_nll(g, rows);
}

GridChoice gaussian_select(const Tensor& train, const Tensor& val, const std::vector<double>& grid) {
    GridChoice c;
    std::vector<double> mean, S;
    gaussian_moments(train, mean, S);
    c.cross_validated = val.rows == 0;
    c.folds = c.cross_validated ? (train.rows < kGridFolds ? train.rows : kGridFolds) : 0;
    std::vector<Tensor> fit_rows, held;
    std::vector<std::vector<double>> fm, fS;
    for (int k = 0; k < c.folds; k++) {
        fit_rows.push_back(fold_rows(train, c.folds, k, true));
        held.push_back(fold_rows(train, c.folds, k, false));
        fm.emplace_back(), fS.emplace_back();
        gaussian_moments(fit_rows.back(), fm.back(), fS.back());
    }
    for (double a : grid) {
        GridPoint p;
        p.value = a;
        p.train_nll = score(mean, S, a, train);
        if (!c.cross_validated) {
            p.val_nll = score(mean, S, a, val);
        } else {
            double sum = 0;  // the mean NLL over every row: fold means weighted by fold size
            for (int k = 0; k < c.folds; k++) sum += score(fm[(size_t)k], fS[(size_t)k], a, held[(size_t)k]) * held[(size_t)k].rows;
            p.val_nll = sum / train.rows;
        }
        c.points.push_back(p);
    }
    c.best = grid_best(c.points, "gaussian: choosing alpha");
    return c;
}
