// tabular_study.cpp — the study of docs/method.md §9: flows on a small real tabular CSV,
// selected on a validation split, scored on a test split.
//
//   make build/tabular_study
//   OMP_NUM_THREADS=1 build/tabular_study data=data/diabetes.csv n=100 seed=0 steps=500 every=20
//       methods=mle,jeffreys,jeffreys_old [key=value ...]          (one command line)
//
// The rows are shuffled (seed), the first n train, half of the rest validate, the other half
// test. Integer columns are dequantised with U(0, 1) noise, then every column is standardised
// by the training rows' mean and std. Each method trains with fit() (the library's defaults
// unless a key below says otherwise) and is evaluated every `every` steps; it prints one line
//
//   RESULT <data> n=.. seed=.. method=.. best_step=.. val=.. test=.. last_test=.. eps=.. ...
//
// with the test NLL at the step of the best validation NLL (nats per point, standardised
// units). Before the methods, a full-covariance Gaussian with its shrinkage chosen on the
// validation rows is the reference ("method=gaussian"). A method name ending in _old
// (jeffreys_old, penalty_old) uses the EBM defaults from before §9: the isotropic base and
// ε = the kNN entropy. Keys: hidden, layers, depth (the flow), ebm_hidden, ebm_depth, base
// (0/1: the EBM's Gaussian base), sigma0, eps, eps_margin, lr, proxy_lr, dual_lr, alpha,
// lambda0, batch, samples, clip, proxy (ebm/flow), whiten (1: whiten the data by the
// validation-selected Gaussian first), dequant (0: off), trace (1: a line per evaluation).
// A research tool: arguments are not validated.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <numeric>
#include <string>
#include <vector>

#include "io/csv.h"
#include "data/entropy.h"
#include "train/fit.h"

static std::map<std::string, std::string> A;
static std::string sarg(const char* k, const char* d) { auto it = A.find(k); return it == A.end() ? d : it->second; }
static double darg(const char* k, double d) { auto it = A.find(k); return it == A.end() ? d : std::atof(it->second.c_str()); }
static bool has(const char* k) { return A.count(k) != 0; }

// Gaussian with covariance (1-a) S + a (tr S / D) I, a chosen on val
static double gauss_nll(const Tensor& tr, const Tensor& x, double a, int D) {
    std::vector<double> mu(D, 0), S((size_t)D * D, 0);
    for (int i = 0; i < tr.rows; i++) for (int j = 0; j < D; j++) mu[j] += tr.at(i, j) / tr.rows;
    for (int i = 0; i < tr.rows; i++)
        for (int j = 0; j < D; j++)
            for (int k = 0; k < D; k++) S[j * D + k] += (tr.at(i, j) - mu[j]) * (tr.at(i, k) - mu[k]) / tr.rows;
    double t = 0;
    for (int j = 0; j < D; j++) t += S[j * D + j];
    t /= D;
    for (int j = 0; j < D; j++)
        for (int k = 0; k < D; k++) S[j * D + k] = (1 - a) * S[j * D + k] + (j == k ? a * t : 0);
    // Cholesky
    std::vector<double> L((size_t)D * D, 0);
    for (int j = 0; j < D; j++) {
        double s = S[j * D + j];
        for (int k = 0; k < j; k++) s -= L[j * D + k] * L[j * D + k];
        if (s <= 0) return INFINITY;
        L[j * D + j] = std::sqrt(s);
        for (int i = j + 1; i < D; i++) {
            double v = S[i * D + j];
            for (int k = 0; k < j; k++) v -= L[i * D + k] * L[j * D + k];
            L[i * D + j] = v / L[j * D + j];
        }
    }
    double logdet = 0;
    for (int j = 0; j < D; j++) logdet += 2 * std::log(L[j * D + j]);
    double tot = 0;
    std::vector<double> y(D);
    for (int i = 0; i < x.rows; i++) {
        double q = 0;
        for (int j = 0; j < D; j++) {
            double v = x.at(i, j) - mu[j];
            for (int k = 0; k < j; k++) v -= L[j * D + k] * y[k];
            y[j] = v / L[j * D + j];
            q += y[j] * y[j];
        }
        tot += 0.5 * q + 0.5 * logdet + 0.5 * D * std::log(2 * M_PI);
    }
    return tot / x.rows;
}

int main(int argc, char** argv) {
    for (int i = 1; i < argc; i++) {
        const char* eq = std::strchr(argv[i], '=');
        if (!eq) { std::fprintf(stderr, "bad arg %s\n", argv[i]); return 2; }
        A[std::string((const char*)argv[i], eq)] = eq + 1;
    }
    const std::string path = sarg("data", "data/diabetes.csv");
    const int n_train = (int)darg("n", 100);
    const uint64_t seed = (uint64_t)darg("seed", 0);
    const long steps = (long)darg("steps", 2000), every = (long)darg("every", 20);
    const bool trace = darg("trace", 0) != 0;
    Tensor all = read_csv(path);
    const int N = all.rows, D = all.cols;
    // dequantise integer columns
    Rng rng(1000 + seed);
    for (int c = 0; c < D; c++) {
        bool integer = true;
        for (int i = 0; i < N && integer; i++) integer = all.at(i, c) == std::floor(all.at(i, c));
        if (integer && darg("dequant", 1) != 0)
            for (int i = 0; i < N; i++) all.at(i, c) += (Real)rng.uniform();
    }
    std::vector<int> perm(N);
    std::iota(perm.begin(), perm.end(), 0);
    for (int i = N - 1; i > 0; i--) std::swap(perm[i], perm[rng.below((uint64_t)i + 1)]);
    const int nt = std::min(n_train, N - 40), rest = N - nt, nv = rest / 2, ns = rest - nv;
    Tensor tr(nt, D), va(nv, D), te(ns, D);
    for (int i = 0; i < nt; i++) std::memcpy(tr.row(i), all.row(perm[i]), sizeof(Real) * D);
    for (int i = 0; i < nv; i++) std::memcpy(va.row(i), all.row(perm[nt + i]), sizeof(Real) * D);
    for (int i = 0; i < ns; i++) std::memcpy(te.row(i), all.row(perm[nt + nv + i]), sizeof(Real) * D);
    for (int c = 0; c < D; c++) {
        double m = 0, v = 0;
        for (int i = 0; i < nt; i++) m += tr.at(i, c) / nt;
        for (int i = 0; i < nt; i++) v += (tr.at(i, c) - m) * (tr.at(i, c) - m) / nt;
        double s = v > 0 ? std::sqrt(v) : 1;
        for (Tensor* t : {&tr, &va, &te})
            for (int i = 0; i < t->rows; i++) t->at(i, c) = (Real)((t->at(i, c) - m) / s);
    }
    // Gaussian reference
    {
        double best_v = INFINITY, best_a = 0;
        for (double a : {0.0, 0.01, 0.03, 0.1, 0.2, 0.3, 0.5, 0.7, 1.0}) {
            double v = gauss_nll(tr, va, a, D);
            if (v < best_v) best_v = v, best_a = a;
        }
        std::printf("RESULT %s n=%d seed=%llu method=gaussian shrink=%.2f val=%.4f test=%.4f\n", path.c_str(), nt,
                    (unsigned long long)seed, best_a, best_v, gauss_nll(tr, te, best_a, D));
    }
    double nll_shift = 0;  // NLL in the standardised space = NLL in the flow's space + nll_shift
    if (darg("whiten", 0) != 0) {
        double best_v = INFINITY, a = 0;
        for (double aa : {0.0, 0.01, 0.03, 0.1, 0.2, 0.3, 0.5, 0.7, 1.0}) {
            double v = gauss_nll(tr, va, aa, D);
            if (v < best_v) best_v = v, a = aa;
        }
        if (has("wshrink")) a = darg("wshrink", 0);
        std::vector<double> mu(D, 0), S((size_t)D * D, 0), L((size_t)D * D, 0);
        for (int i = 0; i < tr.rows; i++) for (int j = 0; j < D; j++) mu[j] += tr.at(i, j) / tr.rows;
        for (int i = 0; i < tr.rows; i++)
            for (int j = 0; j < D; j++)
                for (int k = 0; k < D; k++) S[j * D + k] += (tr.at(i, j) - mu[j]) * (tr.at(i, k) - mu[k]) / tr.rows;
        double t = 0;
        for (int j = 0; j < D; j++) t += S[j * D + j] / D;
        for (int j = 0; j < D; j++)
            for (int k = 0; k < D; k++) S[j * D + k] = (1 - a) * S[j * D + k] + (j == k ? a * t : 0);
        for (int j = 0; j < D; j++) {
            double s2 = S[j * D + j];
            for (int k = 0; k < j; k++) s2 -= L[j * D + k] * L[j * D + k];
            L[j * D + j] = std::sqrt(s2);
            for (int i = j + 1; i < D; i++) {
                double v = S[i * D + j];
                for (int k = 0; k < j; k++) v -= L[i * D + k] * L[j * D + k];
                L[i * D + j] = v / L[j * D + j];
            }
        }
        for (int j = 0; j < D; j++) nll_shift += std::log(L[j * D + j]);
        std::vector<double> y(D);
        for (Tensor* tt : {&tr, &va, &te})
            for (int i = 0; i < tt->rows; i++) {
                for (int j = 0; j < D; j++) {
                    double v = tt->at(i, j) - mu[j];
                    for (int k = 0; k < j; k++) v -= L[j * D + k] * y[k];
                    y[j] = v / L[j * D + j];
                }
                for (int j = 0; j < D; j++) tt->at(i, j) = (Real)y[j];
            }
        std::printf("whitened with shrink %.2f, shift %.4f\n", a, nll_shift);
    }
    std::string methods = sarg("methods", "mle,jeffreys");
    size_t pos = 0;
    while (pos <= methods.size()) {
        size_t e = methods.find(',', pos);
        if (e == std::string::npos) e = methods.size();
        std::string mname = methods.substr(pos, e - pos);
        pos = e + 1;
        if (mname.empty()) continue;
        FitConfig cfg;
        const bool old = mname.size() > 4 && mname.compare(mname.size() - 4, 4, "_old") == 0;
        if (old) {  // the defaults before the tabular ones: isotropic EBM base, ε = kNN entropy
            cfg.ebm_gaussian_base = false;
            cfg.eps = knn_entropy(tr) + darg("eps_margin", 0);
        }
        if (!method_from_name(old ? mname.substr(0, mname.size() - 4) : mname, &cfg.trainer.method)) { std::fprintf(stderr, "method?\n"); return 2; }
        cfg.flow.hidden = (int)darg("hidden", 64);
        cfg.flow.layers = (int)darg("layers", 8);
        cfg.flow.depth = (int)darg("depth", 2);
        cfg.ebm.hidden = (int)darg("ebm_hidden", 64);
        cfg.ebm.depth = (int)darg("ebm_depth", 2);
        if (has("base")) cfg.ebm_gaussian_base = darg("base", 0) != 0;
        if (darg("eps_cv", 0) != 0) {  // ε = the 5-fold cross-validated NLL of the data's Gaussian
            std::vector<double> mu, w;
            double cv = 0;
            ebm_gaussian_base(tr, mu, w, &cv);
            cfg.eps = std::fmin(knn_entropy(tr), cv) + darg("eps_margin", 0);
        }
        if (has("sigma0")) cfg.sigma0 = darg("sigma0", 3);
        if (has("eps")) cfg.eps = darg("eps", 0);
        cfg.eps_margin = darg("eps_margin", 0);
        if (has("lr")) cfg.lr = darg("lr", 1e-3);
        cfg.trainer.proxy_adam.lr = darg("proxy_lr", 1e-3);
        cfg.trainer.dual.dual_lr = darg("dual_lr", 0.01);
        cfg.trainer.dual.alpha = darg("alpha", 1);
        cfg.trainer.dual.lambda0 = darg("lambda0", 1);
        cfg.trainer.batch = (int)darg("batch", 256);
        cfg.trainer.samples = (int)darg("samples", 256);
        cfg.trainer.clip = darg("clip", 0);
        if (sarg("proxy", "ebm") == "flow") cfg.proxy_kind = ProxyKind::flow;
        Rng master(7 + seed);
        Rng init_rng = master.split(), batch_rng = master.split(), proxy_rng = master.split();
        FitModels m;
        fit_init(m, cfg, tr, init_rng, proxy_rng);
        FlowCache cache;
        flow_cache_init(cache, m.flow, 512);
        std::vector<Real> scratch;
        double best_val = INFINITY, test_at_best = NAN, last_test = NAN;
        long best_step = 0;
        auto on_log = [&](const FitLog& l) {
            double v = mean_nll(m.flow, cache, va, scratch) + nll_shift, t = mean_nll(m.flow, cache, te, scratch) + nll_shift;
            if (!std::isfinite(v)) v = INFINITY;
            if (v < best_val) best_val = v, test_at_best = t, best_step = l.step;
            last_test = t;
            if (trace)
                std::printf("TRACE %s step=%ld train=%.3f val=%.3f test=%.3f F=%.3f R=%.3f G=%.3f ess=%.3f lam=%.3f u=%.3f\n",
                            mname.c_str(), l.step, mean_nll(m.flow, cache, tr, scratch), v, t, l.loss, l.R, l.G, l.ess,
                            m.trainer.lambda, m.trainer.u);
            return true;
        };
        FitEnd end = fit(m.trainer, tr, batch_rng, FitSchedule{steps, every, true}, on_log);
        std::printf("RESULT %s n=%d seed=%llu method=%s best_step=%ld val=%.4f test=%.4f last_test=%.4f eps=%.3f "
                    "knn=%.3f gauss=%.3f sigma0=%.3f gbase=%d lam=%.3f skipped=%ld\n",
                    path.c_str(), nt, (unsigned long long)seed, mname.c_str(), best_step, best_val, test_at_best,
                    last_test, m.resolved.eps, m.resolved.eps_knn, m.resolved.eps_gaussian, m.resolved.sigma0, (int)m.resolved.gaussian_base, m.trainer.lambda, end.skipped);
        std::fflush(stdout);
    }
    return 0;
}
