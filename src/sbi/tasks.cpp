// tasks.cpp — the four sbibm tasks, their reference posteriors and the slice sampler.
// Arithmetic is in double whatever Real is; samples are stored as Real.
#include "sbi/tasks.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "tensor/error.h"

static const double PI = 3.14159265358979323846;
static const double LOG_2PI = 1.8378770664093454836;
static const double NEG_INF = -std::numeric_limits<double>::infinity();

bool sbi_task_from_name(const std::string& name, SbiTask* out) {
    if (name == "two_moons") *out = SbiTask::two_moons;
    else if (name == "gaussian_linear") *out = SbiTask::gaussian_linear;
    else if (name == "slcp") *out = SbiTask::slcp;
    else if (name == "gaussian_mixture") *out = SbiTask::gaussian_mixture;
    else return false;
    return true;
}

const char* sbi_task_name(SbiTask t) {
    switch (t) {
        case SbiTask::two_moons: return "two_moons";
        case SbiTask::gaussian_linear: return "gaussian_linear";
        case SbiTask::slcp: return "slcp";
        case SbiTask::gaussian_mixture: return "gaussian_mixture";
    }
    return "?";
}

const char* sbi_task_names() { return "two_moons, gaussian_linear, slcp, gaussian_mixture"; }

int sbi_theta_dim(SbiTask t) {
    switch (t) {
        case SbiTask::gaussian_linear: return 10;
        case SbiTask::slcp: return 5;
        default: return 2;
    }
}

int sbi_x_dim(SbiTask t) {
    switch (t) {
        case SbiTask::gaussian_linear: return 10;
        case SbiTask::slcp: return 8;
        default: return 2;
    }
}

// The uniform priors' half-widths (box [−w, w]^d); gaussian_linear's prior is N(0, 0.1 I).
static double box_half_width(SbiTask t) {
    switch (t) {
        case SbiTask::two_moons: return 1.0;
        case SbiTask::slcp: return 3.0;
        case SbiTask::gaussian_mixture: return 10.0;
        default: return 0.0;
    }
}

static const double GL_VAR = 0.1;  // gaussian_linear: prior and noise variance

Tensor sbi_prior_sample(SbiTask t, int n, Rng& rng) {
    const int d = sbi_theta_dim(t);
    Tensor theta(n, d);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < d; j++) {
            const double v = t == SbiTask::gaussian_linear ? std::sqrt(GL_VAR) * rng.normal()
                                                           : box_half_width(t) * (2 * rng.uniform() - 1);
            theta.at(i, j) = (Real)v;
        }
    return theta;
}

double sbi_log_prior(SbiTask t, const Real* theta) {
    const int d = sbi_theta_dim(t);
    if (t == SbiTask::gaussian_linear) {
        double sq = 0;
        for (int j = 0; j < d; j++) sq += (double)theta[j] * theta[j];
        return -0.5 * sq / GL_VAR - 0.5 * d * (LOG_2PI + std::log(GL_VAR));
    }
    const double w = box_half_width(t);
    for (int j = 0; j < d; j++)
        if (!(theta[j] >= -w && theta[j] <= w)) return NEG_INF;
    return -d * std::log(2 * w);
}

// slcp: mean and the Cholesky factor of Σ = [[s₁², ρs₁s₂], [ρs₁s₂, s₂²]] + 1e-6 I.
struct SlcpGaussian {
    double m0, m1, l00, l10, l11;
};
static SlcpGaussian slcp_gaussian(const Real* th) {
    const double s1 = (double)th[2] * th[2], s2 = (double)th[3] * th[3], rho = std::tanh((double)th[4]);
    const double S00 = s1 * s1 + 1e-6, S01 = rho * s1 * s2, S11 = s2 * s2 + 1e-6;
    SlcpGaussian g;
    g.m0 = th[0];
    g.m1 = th[1];
    g.l00 = std::sqrt(S00);
    g.l10 = S01 / g.l00;
    g.l11 = std::sqrt(std::max(S11 - g.l10 * g.l10, 0.0));
    return g;
}

// two_moons' simulator given the noise (a, r): x = p + (−|θ₁+θ₂|/√2, (−θ₁+θ₂)/√2).
static void two_moons_x(Real* x, const Real* th, double a, double r) {
    const double p0 = r * std::cos(a) + 0.25, p1 = r * std::sin(a);
    const double z0 = ((double)th[0] + th[1]) / std::sqrt(2.0), z1 = (-(double)th[0] + th[1]) / std::sqrt(2.0);
    x[0] = (Real)(p0 - std::fabs(z0));
    x[1] = (Real)(p1 + z1);
}

Tensor sbi_simulate(SbiTask t, const Tensor& theta, Rng& rng) {
    const int n = theta.rows, dx = sbi_x_dim(t);
    if (theta.cols != sbi_theta_dim(t))
        throw symkl::Error(std::string("sbi: task ") + sbi_task_name(t) + " has " +
                           std::to_string(sbi_theta_dim(t)) + " parameters, got " + std::to_string(theta.cols));
    Tensor x(n, dx);
    for (int i = 0; i < n; i++) {
        const Real* th = theta.row(i);
        Real* xi = x.row(i);
        switch (t) {
            case SbiTask::two_moons: {
                const double a = PI * (rng.uniform() - 0.5);  // U(−π/2, π/2)
                const double r = 0.1 + 0.01 * rng.normal();   // N(0.1, 0.01²)
                two_moons_x(xi, th, a, r);
                break;
            }
            case SbiTask::gaussian_linear:
                for (int j = 0; j < dx; j++) xi[j] = (Real)(th[j] + std::sqrt(GL_VAR) * rng.normal());
                break;
            case SbiTask::slcp: {
                const SlcpGaussian g = slcp_gaussian(th);
                for (int k = 0; k < 4; k++) {  // four i.i.d. draws, flattened
                    const double e0 = rng.normal(), e1 = rng.normal();
                    xi[2 * k] = (Real)(g.m0 + g.l00 * e0);
                    xi[2 * k + 1] = (Real)(g.m1 + g.l10 * e0 + g.l11 * e1);
                }
                break;
            }
            case SbiTask::gaussian_mixture: {
                const double sd = rng.uniform() < 0.5 ? 1.0 : 0.1;  // 0.5 N(θ, I) + 0.5 N(θ, 0.01 I)
                for (int j = 0; j < dx; j++) xi[j] = (Real)(th[j] + sd * rng.normal());
                break;
            }
        }
    }
    return x;
}

bool sbi_has_likelihood(SbiTask t) { return t != SbiTask::two_moons; }

// log N(v; 0, s² I) in d dimensions given Σ v².
static double log_iso_normal(double sq, double var, int d) {
    return -0.5 * sq / var - 0.5 * d * (LOG_2PI + std::log(var));
}

double sbi_log_likelihood(SbiTask t, const Real* theta, const Real* x) {
    switch (t) {
        case SbiTask::two_moons:
            throw symkl::Error("sbi: two_moons has no closed-form likelihood in symkl (its reference "
                               "posterior inverts the simulator)");
        case SbiTask::gaussian_linear: {
            double sq = 0;
            for (int j = 0; j < 10; j++) sq += ((double)x[j] - theta[j]) * ((double)x[j] - theta[j]);
            return log_iso_normal(sq, GL_VAR, 10);
        }
        case SbiTask::slcp: {
            const SlcpGaussian g = slcp_gaussian(theta);
            double lp = 0;
            for (int k = 0; k < 4; k++) {  // solve L u = x − m: log N = −½‖u‖² − log|L| − log 2π
                const double u0 = ((double)x[2 * k] - g.m0) / g.l00;
                const double u1 = ((double)x[2 * k + 1] - g.m1 - g.l10 * u0) / g.l11;
                lp += -0.5 * (u0 * u0 + u1 * u1) - std::log(g.l00) - std::log(g.l11) - LOG_2PI;
            }
            return lp;
        }
        case SbiTask::gaussian_mixture: {
            double sq = 0;
            for (int j = 0; j < 2; j++) sq += ((double)x[j] - theta[j]) * ((double)x[j] - theta[j]);
            const double a = log_iso_normal(sq, 1.0, 2), b = log_iso_normal(sq, 0.01, 2);
            const double m = std::max(a, b);  // log(½eᵃ + ½eᵇ), stably
            return m + std::log(0.5 * std::exp(a - m) + 0.5 * std::exp(b - m));
        }
    }
    return NEG_INF;
}

// One sweep of coordinate-wise slice sampling at x (value lx = logp(x)); returns the new logp.
static double slice_sweep(const std::function<double(const Real*)>& logp, std::vector<Real>& p, double lx,
                          int dim, const SliceOptions& opt, Rng& rng) {
    for (int j = 0; j < dim; j++) {
        const double x0 = p[j];
        const double level = lx + std::log(1.0 - rng.uniform());  // log of a uniform height under exp(lx)
        double L = x0 - opt.width * rng.uniform(), R = L + opt.width;
        auto at = [&](double v) {
            p[j] = (Real)v;
            return logp(p.data());
        };
        int J = (int)std::floor(opt.max_steps * rng.uniform()), K = opt.max_steps - 1 - J;
        while (J-- > 0 && at(L) > level) L -= opt.width;
        while (K-- > 0 && at(R) > level) R += opt.width;
        for (;;) {  // shrink the bracket towards x0 until a point lands in the slice
            const double v = L + (R - L) * rng.uniform();
            const double lv = at(v);
            if (lv > level) {
                lx = lv;
                break;
            }
            if (v < x0) L = v;
            else R = v;
            if (R - L < 1e-300) {  // cannot happen for a proper density; stay put
                p[j] = (Real)x0;
                lx = at(x0);
                break;
            }
        }
    }
    return lx;
}

Tensor slice_sample(const std::function<double(const Real*)>& logp,
                    const std::function<double(const Real*)>& log_prior,
                    const std::function<Tensor(int, Rng&)>& prior, int dim, int n, const SliceOptions& opt,
                    Rng& rng) {
    if (opt.chains < 1 || opt.burn_in < 0 || opt.thin < 1 || !(opt.width > 0) || opt.max_steps < 1 ||
        opt.init_candidates < 1)
        throw symkl::Error("slice sampling: chains, thin, width, steps and candidates must be positive");
    // start points by sampling-importance-resampling from the prior
    const Tensor cand = prior(opt.init_candidates, rng);
    std::vector<double> logw(opt.init_candidates);
    double mx = NEG_INF;
    for (int i = 0; i < opt.init_candidates; i++) {
        logw[i] = logp(cand.row(i)) - log_prior(cand.row(i));
        if (std::isnan(logw[i])) logw[i] = NEG_INF;
        mx = std::max(mx, logw[i]);
    }
    if (!std::isfinite(mx)) throw symkl::Error("slice sampling: no prior draw has a finite density");
    std::vector<double> cum(opt.init_candidates);
    double total = 0;
    for (int i = 0; i < opt.init_candidates; i++) cum[i] = total += std::exp(logw[i] - mx);
    const int C = opt.chains, per = (n + C - 1) / C;
    std::vector<Rng> rngs;
    std::vector<int> start(C);
    for (int c = 0; c < C; c++) {
        const double u = rng.uniform() * total;
        start[c] = (int)(std::upper_bound(cum.begin(), cum.end(), u) - cum.begin());
        start[c] = std::min(start[c], opt.init_candidates - 1);
        rngs.push_back(rng.split());
    }
    Tensor all((int)((long)C * per), dim);
    #pragma omp parallel for schedule(dynamic, 1)
    for (int c = 0; c < C; c++) {
        std::vector<Real> x(cand.row(start[c]), cand.row(start[c]) + dim);
        double lx = logp(x.data());
        for (int s = 0; s < opt.burn_in; s++) lx = slice_sweep(logp, x, lx, dim, opt, rngs[c]);
        for (int k = 0; k < per; k++) {
            for (int s = 0; s < opt.thin; s++) lx = slice_sweep(logp, x, lx, dim, opt, rngs[c]);
            std::copy(x.begin(), x.end(), all.row(c * per + k));
        }
    }
    Tensor out(n, dim);
    std::copy(all.ptr(), all.ptr() + (size_t)n * dim, out.ptr());
    return out;
}

Tensor sbi_mcmc_posterior(SbiTask t, const Real* x_obs, int n, Rng& rng, const SliceOptions& opt) {
    if (!sbi_has_likelihood(t))
        throw symkl::Error(std::string("sbi: MCMC needs a likelihood, and ") + sbi_task_name(t) + " has none");
    std::vector<Real> xo(x_obs, x_obs + sbi_x_dim(t));
    auto lprior = [t](const Real* th) { return sbi_log_prior(t, th); };
    auto logp = [t, xo](const Real* th) {
        const double lp = sbi_log_prior(t, th);
        return std::isfinite(lp) ? lp + sbi_log_likelihood(t, th, xo.data()) : lp;
    };
    auto prior = [t](int m, Rng& r) { return sbi_prior_sample(t, m, r); };
    return slice_sample(logp, lprior, prior, sbi_theta_dim(t), n, opt, rng);
}

// Rejection: propose() fills θ; keep it when it lies in the prior's support.
template <class Propose>
static Tensor by_rejection(SbiTask t, int n, Propose propose) {
    const int d = sbi_theta_dim(t);
    Tensor out(n, d);
    std::vector<Real> th(d);
    const long max_tries = 10000L * std::max(n, 1);
    long tries = 0;
    for (int i = 0; i < n;) {
        if (++tries > max_tries)
            throw symkl::Error(std::string("sbi: the reference sampler of ") + sbi_task_name(t) +
                               " accepted too few proposals: the observation lies outside what the "
                               "simulator produces");
        if (!propose(th.data())) continue;
        if (!std::isfinite(sbi_log_prior(t, th.data()))) continue;
        std::copy(th.begin(), th.end(), out.row(i));
        i++;
    }
    return out;
}

Tensor sbi_reference_posterior(SbiTask t, const Real* x_obs, int n, Rng& rng, const SliceOptions& opt) {
    switch (t) {
        case SbiTask::gaussian_linear: {
            // prior N(0, vI), likelihood N(θ, vI): posterior N(x/2, (v/2) I)
            Tensor out(n, 10);
            for (int i = 0; i < n; i++)
                for (int j = 0; j < 10; j++)
                    out.at(i, j) = (Real)(0.5 * x_obs[j] + std::sqrt(0.5 * GL_VAR) * rng.normal());
            return out;
        }
        case SbiTask::gaussian_mixture: {
            // the likelihood is symmetric in θ − x and the prior flat: θ = x_o + mixture noise
            const double x0 = x_obs[0], x1 = x_obs[1];
            return by_rejection(t, n, [&](Real* th) {
                const double sd = rng.uniform() < 0.5 ? 1.0 : 0.1;
                th[0] = (Real)(x0 + sd * rng.normal());
                th[1] = (Real)(x1 + sd * rng.normal());
                return true;
            });
        }
        case SbiTask::two_moons: {
            // x = p(a, r) + (−|z₀|, z₁) with z = Rθ a rotation: |z₀| = p₀ − x₀, z₁ = x₁ − p₁, and
            // z₀ takes either sign. The rotation has unit Jacobian, so θ so drawn has density
            // ∝ p(x_o | θ); with the flat prior, rejection outside the box gives the posterior.
            const double x0 = x_obs[0], x1 = x_obs[1], s2 = std::sqrt(2.0);
            return by_rejection(t, n, [&](Real* th) {
                const double a = PI * (rng.uniform() - 0.5), r = 0.1 + 0.01 * rng.normal();
                const double p0 = r * std::cos(a) + 0.25, p1 = r * std::sin(a);
                const double branch = rng.uniform() < 0.5 ? 1.0 : -1.0;
                const double abs_z0 = p0 - x0;
                if (abs_z0 < 0) return false;  // no θ gives x₀ > p₀
                const double z0 = branch * abs_z0, z1 = x1 - p1;
                th[0] = (Real)((z0 - z1) / s2);  // θ = Rᵀz
                th[1] = (Real)((z0 + z1) / s2);
                return true;
            });
        }
        case SbiTask::slcp: {
            Tensor out = sbi_mcmc_posterior(t, x_obs, n, rng, opt);
            // the likelihood depends on θ₃ and θ₄ through their squares, and the prior is
            // symmetric: flip each sign with probability ½ to visit all four modes
            for (int i = 0; i < n; i++)
                for (int j = 2; j < 4; j++)
                    if (rng.uniform() < 0.5) out.at(i, j) = -out.at(i, j);
            return out;
        }
    }
    return Tensor();
}
