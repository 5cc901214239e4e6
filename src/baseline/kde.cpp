// kde.cpp — the kernel density estimate: scales, log-density, sampling and the h grid.
#include "baseline/kde.h"

#include <cmath>
#include <string>

#include "baseline/grid.h"
#include "tensor/error.h"

static const double kLog2Pi = 1.8378770664093454836;

std::vector<double> kde_scales(const Tensor& x) {
    const int n = x.rows, D = x.cols;
    if (n < 1) throw symkl::Error("a kernel density estimate needs at least 1 row");
    std::vector<double> s((size_t)D);
    for (int j = 0; j < D; j++) {
        double m = 0, v = 0;
        for (int i = 0; i < n; i++) m += (double)x.at(i, j);
        m /= n;
        for (int i = 0; i < n; i++) v += ((double)x.at(i, j) - m) * ((double)x.at(i, j) - m);
        s[(size_t)j] = std::sqrt(v / n);
        if (!(s[(size_t)j] > 0))
            throw symkl::Error("column " + std::to_string(j) + " has the same value in all " + std::to_string(n) +
                               " training rows: a density over it does not exist (drop the column)");
    }
    return s;
}

bool kde_set(KDE& k, const Tensor& centres, const std::vector<double>& scale, double h) {
    if (!(h > 0) || !std::isfinite(h) || centres.rows < 1 || scale.size() != (size_t)centres.cols) return false;
    for (double s : scale)
        if (!(s > 0) || !std::isfinite(s)) return false;
    k.dim = centres.cols, k.h = h, k.scale = scale, k.centres = centres;
    return true;
}

void kde_fit(KDE& k, const Tensor& x, double h) {
    if (!kde_set(k, x, kde_scales(x), h))
        throw symkl::Error("kde: the bandwidth must be a positive number, got " + std::to_string(h));
}

// Squared scaled distances Σ_j ((x_j − t_ij)/s_j)² from one point to every centre.
static void distances(double* d2, const Real* x, const Tensor& c, const std::vector<double>& inv_s) {
    const int D = c.cols;
    for (int i = 0; i < c.rows; i++) {
        const Real* t = c.row(i);
        double s = 0;
        for (int j = 0; j < D; j++) {
            const double u = ((double)x[j] - (double)t[j]) * inv_s[(size_t)j];
            s += u * u;
        }
        d2[i] = s;
    }
}

// logsumexp_i(−d2_i / (2h²)) − log n − D log h, for each h in hs (out[m]).
static void log_kernel_sums(double* out, const double* d2, int n, int D, const double* hs, int nh) {
    double dmin = INFINITY;
    for (int i = 0; i < n; i++) dmin = d2[i] < dmin ? d2[i] : dmin;
    for (int m = 0; m < nh; m++) {
        const double c = 0.5 / (hs[m] * hs[m]);
        double sum = 0;
        for (int i = 0; i < n; i++) sum += std::exp(-(d2[i] - dmin) * c);
        out[m] = -dmin * c + std::log(sum) - std::log((double)n) - D * std::log(hs[m]);
    }
}

// log p of each row of x for each h: out[r * nh + m].
static void log_probs(double* out, const Tensor& centres, const std::vector<double>& scale, const Tensor& x,
                      const double* hs, int nh) {
    const int D = centres.cols;
    std::vector<double> inv_s((size_t)D), d2((size_t)centres.rows);
    double log_s = 0;
    for (int j = 0; j < D; j++) inv_s[(size_t)j] = 1 / scale[(size_t)j], log_s += std::log(scale[(size_t)j]);
    for (int r = 0; r < x.rows; r++) {
        distances(d2.data(), x.row(r), centres, inv_s);
        log_kernel_sums(out + (size_t)r * nh, d2.data(), centres.rows, D, hs, nh);
        for (int m = 0; m < nh; m++) out[(size_t)r * nh + m] -= log_s + 0.5 * D * kLog2Pi;
    }
}

void kde_log_prob(double* out, const KDE& k, const Tensor& x) { log_probs(out, k.centres, k.scale, x, &k.h, 1); }

double kde_nll(const KDE& k, const Tensor& x) {
    return baseline_mean_nll(x, [&](double* out, const Tensor& rows) { kde_log_prob(out, k, rows); });
}

void kde_sample(Tensor& out, const KDE& k, int n, Rng& rng) {
    const int D = k.dim;
    out.resize(n, D);
    for (int i = 0; i < n; i++) {
        const Real* t = k.centres.row((int)rng.below((uint64_t)k.centres.rows));
        for (int j = 0; j < D; j++) out.at(i, j) = (Real)((double)t[j] + k.h * k.scale[(size_t)j] * rng.normal());
    }
}

const std::vector<double>& kde_h_grid() {
    static const std::vector<double> grid = [] {
        std::vector<double> g;
        for (int i = -16; i <= 8; i++) g.push_back(std::pow(10.0, i / 8.0));
        return g;
    }();
    return grid;
}

// Mean NLL over the rows of x for each h (one pass over the pairs for the whole grid).
static std::vector<double> grid_nll(const Tensor& centres, const std::vector<double>& scale, const Tensor& x,
                                    const std::vector<double>& grid) {
    const int nh = (int)grid.size();
    std::vector<double> lp((size_t)x.rows * nh), nll((size_t)nh, 0.0);
    log_probs(lp.data(), centres, scale, x, grid.data(), nh);
    for (int m = 0; m < nh; m++) {
        double s = 0;
        for (int r = 0; r < x.rows; r++) s += lp[(size_t)r * nh + m];
        nll[(size_t)m] = -s / x.rows;
    }
    return nll;
}

GridChoice kde_select(const Tensor& train, const Tensor& val, const std::vector<double>& grid) {
    GridChoice c;
    const std::vector<double> scale = kde_scales(train);
    const std::vector<double> train_nll = grid_nll(train, scale, train, grid);
    std::vector<double> val_nll((size_t)grid.size(), 0.0);
    c.cross_validated = val.rows == 0;
    if (!c.cross_validated) {
        val_nll = grid_nll(train, scale, val, grid);
    } else {
        c.folds = train.rows < kGridFolds ? train.rows : kGridFolds;
        if (c.folds < 2) throw symkl::Error("kde: cross-validation needs at least 2 training rows");
        for (int k = 0; k < c.folds; k++) {
            const Tensor fit = fold_rows(train, c.folds, k, true), held = fold_rows(train, c.folds, k, false);
            const std::vector<double> nll = grid_nll(fit, kde_scales(fit), held, grid);
            for (size_t m = 0; m < grid.size(); m++) val_nll[m] += nll[m] * held.rows / train.rows;
        }
    }
    for (size_t m = 0; m < grid.size(); m++) c.points.push_back({grid[m], train_nll[m], val_nll[m]});
    c.best = grid_best(c.points, "kde: choosing h");
    return c;
}
