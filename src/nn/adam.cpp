// adam.cpp — Adam with bias correction; gradient-norm clipping.
#include "nn/adam.h"
#include "tensor/parallel.h"

#include <cmath>

void adam_init(Adam& opt, const AdamConfig& cfg, size_t n_params) {
    opt.cfg = cfg;
    opt.m.assign(n_params, Real(0));
    opt.v.assign(n_params, Real(0));
    opt.t = 0;
}

void adam_step(Adam& opt, Params& p) {
    opt.t++;
    const double b1 = opt.cfg.beta1, b2 = opt.cfg.beta2;
    const Real c1 = (Real)(1.0 / (1.0 - std::pow(b1, (double)opt.t)));  // bias corrections
    const Real c2 = (Real)(1.0 / (1.0 - std::pow(b2, (double)opt.t)));
    const Real lr = (Real)opt.cfg.lr, eps = (Real)opt.cfg.eps;
    const long n = (long)p.size();
    Real* m = opt.m.data();
    Real* v = opt.v.data();
    #pragma omp parallel for if (n >= PAR_MIN_ELEMS)
    for (long i = 0; i < n; i++) {
        const Real g = p.grad[i];
        m[i] = (Real)b1 * m[i] + (Real)(1 - b1) * g;
        v[i] = (Real)b2 * v[i] + (Real)(1 - b2) * g * g;
        p.value[i] -= lr * (m[i] * c1) / (std::sqrt(v[i] * c2) + eps);
    }
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
