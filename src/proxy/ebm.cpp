// ebm.cpp — energy E(x) = f(x) + ‖x‖²/(2σ₀²) and its gradients in ψ and x.
#include "proxy/ebm.h"

#include <cmath>

#include "tensor/check.h"
#include "tensor/error.h"

void ebm_build(EBM& e, const EBMConfig& cfg) {
    if (cfg.dim < 1) throw symkl::Error("ebm: dimension must be at least 1");
    if (cfg.hidden < 1) throw symkl::Error("ebm: --ebm-hidden must be at least 1");
    if (cfg.depth < 1) throw symkl::Error("ebm: --ebm-depth must be at least 1");
    if (!(cfg.sigma0 > 0) || !std::isfinite(cfg.sigma0)) throw symkl::Error("ebm: --ebm-sigma0 must be positive");
    if (cfg.context < 0) throw symkl::Error("ebm: the context dimension must be 0 (none) or positive");
    if (cfg.context > 0 && (!cfg.base_mean.empty() || !cfg.base_whiten.empty()))
        throw symkl::Error("ebm: a conditional EBM has the isotropic base N(0, sigma0^2 I), not a Gaussian base");
    const size_t D = (size_t)cfg.dim;
    if (!cfg.base_mean.empty() || !cfg.base_whiten.empty()) {
        if (cfg.base_mean.size() != D || cfg.base_whiten.size() != D * D)
            throw symkl::Error("ebm: the Gaussian base needs a mean of " + std::to_string(D) + " values and a " +
                               std::to_string(D) + " x " + std::to_string(D) + " whitening matrix");
        for (size_t j = 0; j < D; j++) {
            if (!std::isfinite(cfg.base_mean[j]) || !(cfg.base_whiten[j * D + j] > 0))
                throw symkl::Error("ebm: the Gaussian base's mean must be finite and its whitening matrix's diagonal positive");
            for (size_t k = 0; k < D; k++)
                if (!std::isfinite(cfg.base_whiten[j * D + k]) || (k > j && cfg.base_whiten[j * D + k] != 0))
                    throw symkl::Error("ebm: the Gaussian base's whitening matrix must be finite and lower triangular");
        }
    }
    e.cfg = cfg;
    e.base_chol.clear();
    if (!cfg.base_whiten.empty()) {  // L = W⁻¹, column by column (W L = I, forward substitution)
        const double* W = cfg.base_whiten.data();
        e.base_chol.assign(D * D, 0.0);
        for (size_t col = 0; col < D; col++)
            for (size_t j = col; j < D; j++) {
                double v = j == col ? 1.0 : 0.0;
                for (size_t k = col; k < j; k++) v -= W[j * D + k] * e.base_chol[k * D + col];
                e.base_chol[j * D + col] = v / W[j * D + j];
            }
    }
    e.params = Params{};
    mlp_declare(e.net, e.params, "net", cfg.dim + cfg.context, cfg.hidden, 1, cfg.depth, cfg.act);
    e.params.allocate();
}

EBM ebm_view(const EBM& e) {
    EBM v;
    v.cfg = e.cfg;
    v.base_chol = e.base_chol;
    v.net = e.net;
    v.params = params_view(e.params);
    return v;
}

void ebm_init(EBM& e, Rng& rng) { mlp_init(e.net, e.params, rng, LastLayer::zero); }

void ebm_cache_init(EBMCache& c, const EBM& e, int cap) {
    c.cap = cap;
    mlp_cache_init(c.net, e.net, cap);
    c.f.resize(cap, 1);
    c.df.resize(cap, 1);
    c.dxf.resize(cap, e.cfg.dim);
    if (!e.cfg.base_whiten.empty()) c.y.resize(cap, e.cfg.dim);
    if (e.cfg.context > 0) {
        c.in.resize(cap, e.cfg.dim + e.cfg.context);
        c.din.resize(cap, e.cfg.dim + e.cfg.context);
    }
}

namespace {
// Σ = (1 − a) S + a (tr S / D) I of the rows of x with (i % folds == skip) left out (skip < 0:
// none), as μ and W = L⁻¹. Returns false when Σ is not positive definite.
bool shrunk_gaussian(const Tensor& x, double a, int folds, int skip, std::vector<double>& mean,
                     std::vector<double>& whiten) {
    const int N = x.rows, D = x.cols;
    int n = 0;
    mean.assign((size_t)D, 0.0);
    for (int i = 0; i < N; i++) {
        if (i % folds == skip) continue;
        n++;
        for (int j = 0; j < D; j++) mean[j] += (double)x.at(i, j);
    }
    if (n < 2) return false;
    for (int j = 0; j < D; j++) mean[j] /= n;
    std::vector<double> S((size_t)D * D, 0.0), c((size_t)D);
    for (int i = 0; i < N; i++) {
        if (i % folds == skip) continue;
        for (int j = 0; j < D; j++) c[j] = (double)x.at(i, j) - mean[j];
        for (int j = 0; j < D; j++)
            for (int k = 0; k <= j; k++) S[(size_t)j * D + k] += c[j] * c[k];
    }
    double m = 0;
    for (int j = 0; j < D; j++) m += S[(size_t)j * D + j] / n;
    m /= D;
    if (!(m > 0)) return false;
    // Σ = L Lᵀ (Cholesky of the lower triangle), then W = L⁻¹ by forward substitution
    std::vector<double> L((size_t)D * D, 0.0);
    for (int j = 0; j < D; j++) {
        double s = (1 - a) * S[(size_t)j * D + j] / n + a * m;
        for (int k = 0; k < j; k++) s -= L[(size_t)j * D + k] * L[(size_t)j * D + k];
        if (!(s > 1e-12 * m)) return false;
        L[(size_t)j * D + j] = std::sqrt(s);
        for (int i = j + 1; i < D; i++) {
            double v = (1 - a) * S[(size_t)i * D + j] / n;
            for (int k = 0; k < j; k++) v -= L[(size_t)i * D + k] * L[(size_t)j * D + k];
            L[(size_t)i * D + j] = v / L[(size_t)j * D + j];
        }
    }
    whiten.assign((size_t)D * D, 0.0);
    for (int col = 0; col < D; col++)  // column col of L⁻¹: solve L w = e_col
        for (int j = col; j < D; j++) {
            double v = j == col ? 1.0 : 0.0;
            for (int k = col; k < j; k++) v -= L[(size_t)j * D + k] * whiten[(size_t)k * D + col];
            whiten[(size_t)j * D + col] = v / L[(size_t)j * D + j];
        }
    return true;
}

// −log N(x_i; μ, Σ) summed over the rows with (i % folds == only), or all rows (only < 0)
double gaussian_nll_sum(const Tensor& x, int folds, int only, const std::vector<double>& mean,
                        const std::vector<double>& whiten, int* count) {
    const int N = x.rows, D = x.cols;
    double log_det_w = 0;  // W is triangular
    for (int j = 0; j < D; j++) log_det_w += std::log(whiten[(size_t)j * D + j]);
    double sum = 0;
    int n = 0;
    for (int i = 0; i < N; i++) {
        if (only >= 0 && i % folds != only) continue;
        n++;
        double sq = 0;
        for (int j = 0; j < D; j++) {
            double v = 0;
            for (int k = 0; k <= j; k++) v += whiten[(size_t)j * D + k] * ((double)x.at(i, k) - mean[k]);
            sq += v * v;
        }
        sum += 0.5 * sq - log_det_w + 0.5 * D * std::log(2 * M_PI);
    }
    *count = n;
    return sum;
}
}  // namespace

double ebm_gaussian_base(const Tensor& x, std::vector<double>& mean, std::vector<double>& whiten, double* cv_nll) {
    const int N = x.rows, folds = N < 5 ? N : 5;
    static const double grid[] = {0, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1};
    double best = INFINITY, best_a = 1;
    std::vector<double> mu, w;
    for (double a : grid) {  // 5-fold cross-validated NLL of each shrinkage
        double sum = 0;
        int n = 0;
        for (int f = 0; f < folds && std::isfinite(sum); f++) {
            int c = 0;
            if (shrunk_gaussian(x, a, folds, f, mu, w)) sum += gaussian_nll_sum(x, folds, f, mu, w, &c);
            else sum = INFINITY;
            n += c;
        }
        if (sum / n < best) best = sum / n, best_a = a;
    }
    if (cv_nll) *cv_nll = best;
    if (!shrunk_gaussian(x, best_a, 1, -1, mean, whiten))
        throw symkl::Error("the training data has no spread (all " + std::to_string(N) +
                           " points are identical): the EBM proxy's Gaussian base would be singular");
    return best_a;
}

double gaussian_base_nll(const Tensor& x, const std::vector<double>& mean, const std::vector<double>& whiten) {
    int n = 0;
    const double sum = gaussian_nll_sum(x, 1, -1, mean, whiten, &n);
    return sum / n;
}

void ebm_base_sample(Real* x, Real* log_b, const Real* z, const EBM& e, int B) {
    SYMKL_CHECK(!e.base_chol.empty(), "ebm_base_sample: the EBM has no Gaussian base");
    const int D = e.cfg.dim;
    const double s0 = e.cfg.sigma0;
    double log_det_w = 0;
    for (int j = 0; j < D; j++) log_det_w += std::log(e.cfg.base_whiten[(size_t)j * D + j]);
    // log b(x) = −‖z‖²/2 − (D/2) log 2π − D log σ₀ + log det W, since W (x − μ)/σ₀ = z
    const double c = -0.5 * D * std::log(2 * M_PI) - D * std::log(s0) + log_det_w;
    for (int i = 0; i < B; i++) {
        const Real* zi = z + (size_t)i * D;
        Real* xi = x + (size_t)i * D;
        double sq = 0;
        for (int j = 0; j < D; j++) {
            double v = 0;
            for (int k = 0; k <= j; k++) v += e.base_chol[(size_t)j * D + k] * (double)zi[k];
            xi[j] = (Real)(e.cfg.base_mean[j] + s0 * v);
            sq += (double)zi[j] * (double)zi[j];
        }
        log_b[i] = (Real)(c - 0.5 * sq);
    }
}

void ebm_energy(Real* E, const Real* x, const EBM& e, EBMCache& c, int B, const Real* y) {
    SYMKL_CHECK(B <= c.cap, "ebm_energy: batch larger than the cache");
    SYMKL_CHECK(e.cfg.context == 0 || y, "ebm_energy: a conditional EBM needs the context");
    const int D = e.cfg.dim, C = e.cfg.context;
    const Real inv2s2 = (Real)(0.5 / (e.cfg.sigma0 * e.cfg.sigma0));
    if (C > 0) {  // f reads the rows [x, y]
        for (int i = 0; i < B; i++) {
            Real* r = c.in.row(i);
            for (int j = 0; j < D; j++) r[j] = x[(size_t)i * D + j];
            for (int j = 0; j < C; j++) r[D + j] = y[(size_t)i * C + j];
        }
    }
    mlp_forward(c.f.ptr(), C > 0 ? c.in.ptr() : x, e.net, e.params, c.net, B);
    if (!e.cfg.base_whiten.empty()) {  // E = f(x) + ‖W (x − μ)‖²/(2σ₀²), keeping y = W (x − μ)
        const double* mu = e.cfg.base_mean.data();
        const double* W = e.cfg.base_whiten.data();
        for (int i = 0; i < B; i++) {
            const Real* xi = x + (size_t)i * D;
            Real* yi = c.y.row(i);
            double sq = 0;
            for (int j = 0; j < D; j++) {
                double v = 0;
                for (int k = 0; k <= j; k++) v += W[(size_t)j * D + k] * ((double)xi[k] - mu[k]);
                yi[j] = (Real)v;
                sq += v * v;
            }
            E[i] = c.f.ptr()[i] + (Real)(sq * (double)inv2s2);
        }
        return;
    }
    for (int i = 0; i < B; i++) {
        const Real* xi = x + (size_t)i * D;
        Real sq = 0;
        for (int j = 0; j < D; j++) sq += xi[j] * xi[j];
        E[i] = c.f.ptr()[i] + sq * inv2s2;  // E = f(x) + ‖x‖²/(2σ₀²)
    }
}

void ebm_energy_backward(Real* dx, const Real* dE, const Real* x, EBM& e, EBMCache& c, int B, bool params) {
    SYMKL_CHECK(B <= c.cap, "ebm_energy_backward: batch larger than the cache");
    const int D = e.cfg.dim;
    const Real inv_s2 = (Real)(1.0 / (e.cfg.sigma0 * e.cfg.sigma0));
    // in the forward pass this was: E = f(x) + ‖x‖²/(2σ₀²), so
    //   df = dE (into the MLP),   dx = dE · (∇ₓf + x/σ₀²)
    for (int i = 0; i < B; i++) c.df.ptr()[i] = dE[i];
    const int C = e.cfg.context;
    if (C > 0) {  // f read [x, y]: its gradient on x is the first D of each row's D + C
        mlp_backward(dx ? c.din.ptr() : nullptr, c.df.ptr(), c.in.ptr(), e.net, e.params, c.net, B, params);
        if (!dx) return;
        for (int i = 0; i < B; i++)
            for (int j = 0; j < D; j++) c.dxf.ptr()[(size_t)i * D + j] = c.din.row(i)[j];
    } else {
        mlp_backward(dx ? c.dxf.ptr() : nullptr, c.df.ptr(), x, e.net, e.params, c.net, B, params);
        if (!dx) return;
    }
    if (!e.cfg.base_whiten.empty()) {  // ∇ₓ of ‖W (x − μ)‖²/(2σ₀²) = Wᵀ y / σ₀²
        const double* W = e.cfg.base_whiten.data();
        for (int i = 0; i < B; i++) {
            const Real* yi = c.y.row(i);
            for (int k = 0; k < D; k++) {
                double v = 0;
                for (int j = k; j < D; j++) v += W[(size_t)j * D + k] * (double)yi[j];
                const size_t idx = (size_t)i * D + k;
                dx[idx] = c.dxf.ptr()[idx] + dE[i] * (Real)v * inv_s2;
            }
        }
        return;
    }
    for (int i = 0; i < B; i++)
        for (int j = 0; j < D; j++) {
            const size_t k = (size_t)i * D + j;
            dx[k] = c.dxf.ptr()[k] + dE[i] * x[k] * inv_s2;
        }
}
