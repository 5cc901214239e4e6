// gradcheck.h — central-difference gradient checks, shared by the tests.
//
// For each coordinate θ_i the numeric gradient is (f(θ + h e_i) − f(θ − h e_i)) / 2h,
// compared to the analytic one by a relative error with a floor:
//
//   err_i = |a_i − n_i| / max(|a_i|, |n_i|, floor),   floor = 1e-3 by default
//
// so tiny gradients are judged on an absolute scale (floor · tol) instead of
// amplifying round-off. For piecewise-linear activations (ReLU) a coordinate
// whose one-sided differences disagree sits on a kink: it is skipped and counted
// (the caller bounds how many may be skipped). Run in double only.
#pragma once
#include <cmath>
#include <cstddef>
#include <functional>
#include <vector>

#include "tensor/real.h"
#include "tensor/rng.h"

struct GradCheck {
    double max_err = 0;     // worst relative error over the checked coordinates
    size_t worst = 0;       // its index
    double worst_analytic = 0, worst_numeric = 0;
    size_t checked = 0, skipped_kinks = 0;
    bool finite = true;     // every value was finite
};

enum class Kinks { forbid, skip };

// f() evaluates the loss at the current values of x[0..n); analytic[0..n) is its gradient.
inline GradCheck grad_check(const std::function<double()>& f, Real* x, const Real* analytic, size_t n,
                            Kinks kinks = Kinks::forbid, double h = 1e-5, double floor = 1e-3) {
    GradCheck r;
    const double f0 = f();
    if (!std::isfinite(f0)) r.finite = false;
    for (size_t i = 0; i < n; i++) {
        const Real saved = x[i];
        x[i] = saved + (Real)h;
        const double fp = f();
        x[i] = saved - (Real)h;
        const double fm = f();
        x[i] = saved;
        if (!std::isfinite(fp) || !std::isfinite(fm) || !std::isfinite((double)analytic[i])) {
            r.finite = false;
            continue;
        }
        if (kinks == Kinks::skip) {
            const double fwd = (fp - f0) / h, bwd = (f0 - fm) / h;
            const double scale = std::fmax(std::fmax(std::fabs(fwd), std::fabs(bwd)), floor);
            if (std::fabs(fwd - bwd) > 1e-2 * scale) {
                r.skipped_kinks++;
                continue;
            }
        }
        const double num = (fp - fm) / (2 * h), a = (double)analytic[i];
        const double err = std::fabs(a - num) / std::fmax(std::fmax(std::fabs(a), std::fabs(num)), floor);
        r.checked++;
        if (err > r.max_err) {
            r.max_err = err;
            r.worst = i;
            r.worst_analytic = a;
            r.worst_numeric = num;
        }
    }
    return r;
}

// KANN's whole-model check along one random direction δ: compare g·δ with
// (f(θ + hδ) − f(θ − hδ)) / 2h: two loss evaluations, whatever the parameter count.
inline double directional_check(const std::function<double()>& f, Real* x, const Real* analytic, size_t n,
                                uint64_t seed, double h = 1e-6, double floor = 1e-3) {
    Rng rng(seed);
    std::vector<Real> saved(x, x + n), delta(n);
    double gd = 0;
    for (size_t i = 0; i < n; i++) {
        delta[i] = (Real)rng.normal();
        gd += (double)analytic[i] * (double)delta[i];
    }
    for (size_t i = 0; i < n; i++) x[i] = saved[i] + (Real)h * delta[i];
    const double fp = f();
    for (size_t i = 0; i < n; i++) x[i] = saved[i] - (Real)h * delta[i];
    const double fm = f();
    for (size_t i = 0; i < n; i++) x[i] = saved[i];
    const double num = (fp - fm) / (2 * h);
    return std::fabs(gd - num) / std::fmax(std::fmax(std::fabs(gd), std::fabs(num)), floor);
}

// Random values in [-scale, scale], for weights of a loss Σ w ⊙ output.
inline std::vector<Real> random_vec(size_t n, Rng& rng, double scale = 1.0) {
    std::vector<Real> v(n);
    for (auto& e : v) e = (Real)(scale * (2 * rng.uniform() - 1));
    return v;
}
