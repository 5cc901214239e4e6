// metrics.cpp — NLLs and Monte-Carlo KLs against the true density.
#include "train/metrics.h"

#include <cmath>
#include <limits>

#include "tensor/rng.h"
#include "train/train.h"

void eval_set_init(EvalSet& e, const Tensor& test, const Toy* toy, int n_rev, Rng& rng, const Standardizer* prep) {
    e.test = test;
    e.prep = prep ? *prep : Standardizer{};
    e.has_fwd = toy && toy_has_density(*toy);
    e.has_rev = e.has_fwd && toy_has_reverse_kl(*toy);
    if (toy) e.toy = *toy;
    if (e.has_fwd) {
        e.test_logpi.resize((size_t)test.rows);
        Tensor raw = test;
        unstandardize(raw, e.prep);
        toy_log_density(e.toy, raw, e.test_logpi.data());
    }
    if (e.has_rev) {
        e.z.resize(n_rev, test.cols);
        for (Real& v : e.z.data) v = (Real)rng.normal();
        e.xs.resize(n_rev, test.cols);
        e.lp.resize((size_t)n_rev);
        e.logpi.resize((size_t)n_rev);
    }
}

void evaluate(Metrics& m, const Flow& f, FlowCache& cache, const Tensor& train, EvalSet& e) {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    m.train_nll = mean_nll(f, cache, train, e.nll_scratch);
    m.test_nll = mean_nll(f, cache, e.test, e.nll_scratch);
    const double log_det = standardizer_log_det(e.prep);  // −log|det ∂u/∂x|: to the data's units
    if (!e.prep.empty()) m.train_nll += log_det, m.test_nll += log_det;
    m.fwd_kl = m.rev_kl = m.jeffreys = nan;
    if (e.has_fwd) {
        // E_π[log π − log p] = mean log π(test) + test NLL
        double s = 0;
        for (double v : e.test_logpi) s += v;
        m.fwd_kl = s / e.test.rows + m.test_nll;
    }
    if (e.has_rev) {
        const int n = e.z.rows, chunk = cache.cap;
        for (int start = 0; start < n; start += chunk) {
            const int b = n - start < chunk ? n - start : chunk;
            flow_sample(e.xs.row(start), e.lp.data() + start, e.z.row(start), f, cache, b);
        }
        if (!e.prep.empty()) {
            unstandardize(e.xs, e.prep);
            for (Real& v : e.lp) v = (Real)((double)v - log_det);
        }
        toy_log_density(e.toy, e.xs, e.logpi.data());
        double s = 0;
        for (int i = 0; i < n; i++) s += (double)e.lp[i] - e.logpi[i];
        m.rev_kl = s / n;
        m.jeffreys = m.fwd_kl + m.rev_kl;
    }
}

LogZ ebm_log_z(const EBM& e, EBMCache& ec, const Flow& p, FlowCache& pc, const Tensor& z) {
    const int n = z.rows, D = z.cols;
    const int chunk = pc.cap < ec.cap ? pc.cap : ec.cap;
    Tensor xs(chunk, D);
    std::vector<Real> lp((size_t)n), E((size_t)n);
    for (int start = 0; start < n; start += chunk) {
        const int b = n - start < chunk ? n - start : chunk;
        flow_sample(xs.ptr(), lp.data() + start, z.row(start), p, pc, b);
        ebm_energy(E.data() + start, xs.ptr(), e, ec, b);
    }
    std::vector<double> w((size_t)n);
    return log_partition_is(w.data(), E.data(), lp.data(), n);
}
