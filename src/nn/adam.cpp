// adam.cpp — Adam with bias correction; gradient-norm clipping.
#include "nn/adam.h"
#include "tensor/parallel.h"

#include <algorithm>
#include <cmath>

void adam_init(Adam& opt, const AdamConfig& cfg, size_t n_params) {
    opt.cfg = cfg;
    opt.m.assign(n_params, Real(0));
    opt.v.assign(n_params, Real(0));
    opt.t = 0;
}

// One span of the update; element-wise, so any split into spans gives the same values.
// b1c = 1 − β₁ and b2c = 1 − β₂ are rounded from double, as the moments' weights.
SYMKL_CLONES
static void adam_span(Real* value, Real* m, Real* v, const Real* grad, long n, Real b1, Real b1c, Real b2,
                      Real b2c, Real c1, Real c2, Real lr, Real eps) {
    #pragma omp simd
    for (long i = 0; i < n; i++) {
        const Real g = grad[i];
        m[i] = b1 * m[i] + b1c * g;
        v[i] = b2 * v[i] + b2c * g * g;
        value[i] -= lr * (m[i] * c1) / (std::sqrt(v[i] * c2) + eps);
    }
}

void adam_step(Adam& opt, Params& p, int team) {
    opt.t++;
    const double b1 = opt.cfg.beta1, b2 = opt.cfg.beta2;
    const Real c1 = (Real)(1.0 / (1.0 - std::pow(b1, (double)opt.t)));  // bias corrections
    const Real c2 = (Real)(1.0 / (1.0 - std::pow(b2, (double)opt.t)));
    const long n = (long)p.size();
    const bool wide = n >= (team < 0 ? PAR_MIN_ELEMS : ADAM_TEAM_MIN);
    parallel_rows((int)n, wide, [&](int first, int last) {
        adam_span(p.value.data() + first, opt.m.data() + first, opt.v.data() + first, p.grad.data() + first,
                  last - first, (Real)b1, (Real)(1 - b1), (Real)b2, (Real)(1 - b2), c1, c2, (Real)opt.cfg.lr,
                  (Real)opt.cfg.eps);
    }, team < 0 ? 0 : team);
}

double grad_norm(const Params& p) {
    double s = 0;
    for (Real g : p.grad) s += (double)g * (double)g;
    return std::sqrt(s);
}

double clip_grad_norm(Params& p, double max_norm) {
    const double norm = grad_norm(p);
    if (max_norm > 0 && norm > max_norm) {
        const Real scale = (Real)(max_norm / (norm + 1e-12));
        for (Real& g : p.grad) g *= scale;
    }
    return norm;
}
