// toy.cpp — drawing the 2-D toy sets and evaluating their true log-densities.
//
// Sampling. U ~ Uniform(0, 1), N ~ N(0, 1), N² a fresh 2-D standard normal; the draws
// of one point happen in the order written, and points are drawn one after another:
//   8gaussians    k = below(8); c = 4 (cos kπ/4, sin kπ/4); x = (c + 0.5 N²) / 1.414
//   moons         a = below(2); θ = πU; y = (cos θ, sin θ) for a = 0 (outer arc) or
//                 (1 − cos θ, 0.5 − sin θ) for a = 1 (inner arc); y += 0.1 N²;
//                 x = 2 y + (−1, −0.2)
//   circles       r = {1, 0.5}[below(2)]; θ = 2πU; x = 3 (r (cos θ, sin θ) + 0.08 N²)
//   rings         r = {1, 0.75, 0.5, 0.25}[below(4)]; θ = 2πU; x = 3r (cos θ, sin θ) + 0.08 N²
//   checkerboard  x1 = 4U − 2; x2 = U − 2b + (⌊x1⌋ mod 2) with b = below(2); x = 2 (x1, x2)
//   pinwheel      k = below(5); f = (1 + 0.3 N, 0.1 N); a = 2πk/5 + 0.25 exp(f0);
//                 x = 2 (f0 cos a + f1 sin a, −f0 sin a + f1 cos a)
//   swissroll     t = 1.5π (1 + 2U); x = ((t cos t, t sin t) + N²) / 5
//   2spirals      n = 3π √U; d = (−n cos n + 0.5 U, n sin n + 0.5 U); d = −d if below(2) = 1;
//                 x = d / 3 + 0.1 N²
//
// Densities. 8gaussians, moons, circles and rings are Gaussian mixtures along arcs.
// With A arcs μ_a(θ) = o_a + ρ_a (cos θ, sin θ) of weight 1/A each and θ uniform on Θ,
//   π(x) = (1/A) Σ_a (1/|Θ|) ∫_Θ N(x; μ_a(θ), σ² I) dθ
//        ≈ (1/A) Σ_a Σ_i ν_i N(x; μ_a(θ_i), σ² I),          Σ_i ν_i = 1,
// with the rule (θ_i, ν_i):
//   8gaussians  exact, 8 nodes θ_k = kπ/4, ν_k = 1/8; o = 0, ρ = 4/1.414, σ = 0.5/1.414
//   moons       Gauss–Legendre on Θ = [0, π]: θ_i = (π/2)(1 + t_i), ν_i = w_i / 2;
//               outer o = (−1, −0.2), ρ = 2; inner o = (1, 0.8), ρ = −2; σ = 0.2
//   circles     trapezoid on Θ = [0, 2π): θ_i = 2πi/n, ν_i = 1/n; o = 0, ρ ∈ {3, 1.5}, σ = 0.24
//   rings       the same rule; o = 0, ρ ∈ {3, 2.25, 1.5, 0.75}, σ = 0.08
// The scalings are the change of variables x = s y + c, π_x(x) = π_y((x − c)/s) / s²:
// a Gaussian kernel of width σ_y around μ_y becomes one of width s σ_y around s μ_y + c
// (moons 2 · 0.1 = 0.2, circles 3 · 0.08 = 0.24; rings add their noise after scaling).
// The trapezoid rule is spectrally accurate for periodic integrands, Gauss–Legendre for
// smooth ones on an interval. The mixture is summed by log-sum-exp in double, so log π
// stays finite far from the data, where every term underflows.
//
// Checkerboard: with u = x/2, π(x) = 1/32 when u lies in one of the 8 unit squares of
// [−2, 2]² with ⌊u1⌋ + ⌊u2⌋ even (area 8 in u, 32 in x), and 0 elsewhere.
#include "data/toy.h"

#include <cmath>
#include <limits>
#include <vector>

#include "tensor/error.h"
#include "tensor/rng.h"

static constexpr double kPi = 3.14159265358979323846;

// ---------------------------------------------------------------------------------------
// names

static const Toy kAllToys[] = {Toy::gaussians8,   Toy::moons,    Toy::circles,   Toy::rings,
                               Toy::checkerboard, Toy::pinwheel, Toy::swissroll, Toy::spirals2};

const char* toy_name(Toy t) {
    switch (t) {
        case Toy::gaussians8: return "8gaussians";
        case Toy::moons: return "moons";
        case Toy::circles: return "circles";
        case Toy::rings: return "rings";
        case Toy::checkerboard: return "checkerboard";
        case Toy::pinwheel: return "pinwheel";
        case Toy::swissroll: return "swissroll";
        case Toy::spirals2: return "2spirals";
    }
    return "?";
}

bool toy_from_name(const std::string& name, Toy* out) {
    for (Toy t : kAllToys) {
        if (name == toy_name(t)) {
            *out = t;
            return true;
        }
    }
    return false;
}

std::string toy_names() {
    std::string s;
    for (Toy t : kAllToys) {
        if (!s.empty()) s += ", ";
        s += toy_name(t);
    }
    return s;
}

bool toy_has_density(Toy t) {
    return t == Toy::gaussians8 || t == Toy::moons || t == Toy::circles || t == Toy::rings ||
           t == Toy::checkerboard;
}

bool toy_has_reverse_kl(Toy t) { return toy_has_density(t) && t != Toy::checkerboard; }

// ---------------------------------------------------------------------------------------
// sampling: one function per set, each point drawn completely before the next

static void sample_gaussians8(Rng& rng, int n, Real* x) {
    for (int i = 0; i < n; i++) {
        const double a = (double)rng.below(8) * kPi / 4;
        const double e1 = rng.normal();
        const double e2 = rng.normal();
        x[2 * i + 0] = (Real)((4 * std::cos(a) + 0.5 * e1) / 1.414);
        x[2 * i + 1] = (Real)((4 * std::sin(a) + 0.5 * e2) / 1.414);
    }
}

static void sample_moons(Rng& rng, int n, Real* x) {
    for (int i = 0; i < n; i++) {
        const bool inner = rng.below(2) == 1;
        const double theta = kPi * rng.uniform();
        double y1 = std::cos(theta), y2 = std::sin(theta);
        if (inner) {
            y1 = 1 - y1;
            y2 = 0.5 - y2;
        }
        y1 += 0.1 * rng.normal();
        y2 += 0.1 * rng.normal();
        x[2 * i + 0] = (Real)(2 * y1 - 1);
        x[2 * i + 1] = (Real)(2 * y2 - 0.2);
    }
}

static void sample_circles(Rng& rng, int n, Real* x) {
    for (int i = 0; i < n; i++) {
        const double r = rng.below(2) == 0 ? 1.0 : 0.5;
        const double theta = 2 * kPi * rng.uniform();
        const double y1 = r * std::cos(theta) + 0.08 * rng.normal();
        const double y2 = r * std::sin(theta) + 0.08 * rng.normal();
        x[2 * i + 0] = (Real)(3 * y1);
        x[2 * i + 1] = (Real)(3 * y2);
    }
}

static void sample_rings(Rng& rng, int n, Real* x) {
    const double radius[4] = {1.0, 0.75, 0.5, 0.25};
    for (int i = 0; i < n; i++) {
        const double r = radius[rng.below(4)];
        const double theta = 2 * kPi * rng.uniform();
        const double x1 = 3 * r * std::cos(theta) + 0.08 * rng.normal();
        const double x2 = 3 * r * std::sin(theta) + 0.08 * rng.normal();
        x[2 * i + 0] = (Real)x1;
        x[2 * i + 1] = (Real)x2;
    }
}

static void sample_checkerboard(Rng& rng, int n, Real* x) {
    for (int i = 0; i < n; i++) {
        const double x1 = 4 * rng.uniform() - 2;
        const double u = rng.uniform();
        const double b = (double)rng.below(2);
        // ⌊x1⌋ mod 2 taken in {0, 1} (as Python's %), also for negative ⌊x1⌋
        const int m = (((int)std::floor(x1) % 2) + 2) % 2;
        const double x2 = u - 2 * b + m;
        x[2 * i + 0] = (Real)(2 * x1);
        x[2 * i + 1] = (Real)(2 * x2);
    }
}

static void sample_pinwheel(Rng& rng, int n, Real* x) {
    for (int i = 0; i < n; i++) {
        const double k = (double)rng.below(5);
        const double f0 = 1 + 0.3 * rng.normal();  // radial
        const double f1 = 0.1 * rng.normal();      // tangential
        // the arm bends more the further out the point is
        const double a = 2 * kPi * k / 5 + 0.25 * std::exp(f0);
        const double c = std::cos(a), s = std::sin(a);
        x[2 * i + 0] = (Real)(2 * (f0 * c + f1 * s));
        x[2 * i + 1] = (Real)(2 * (-f0 * s + f1 * c));
    }
}

static void sample_swissroll(Rng& rng, int n, Real* x) {
    for (int i = 0; i < n; i++) {
        const double t = 1.5 * kPi * (1 + 2 * rng.uniform());
        const double y1 = t * std::cos(t) + rng.normal();
        const double y2 = t * std::sin(t) + rng.normal();
        x[2 * i + 0] = (Real)(y1 / 5);
        x[2 * i + 1] = (Real)(y2 / 5);
    }
}

static void sample_spirals2(Rng& rng, int n, Real* x) {
    for (int i = 0; i < n; i++) {
        const double a = 3 * kPi * std::sqrt(rng.uniform());  // the n of the definition
        double d1 = -a * std::cos(a) + 0.5 * rng.uniform();
        double d2 = a * std::sin(a) + 0.5 * rng.uniform();
        if (rng.below(2) == 1) {  // the second spiral is the first turned by π
            d1 = -d1;
            d2 = -d2;
        }
        const double x1 = d1 / 3 + 0.1 * rng.normal();
        const double x2 = d2 / 3 + 0.1 * rng.normal();
        x[2 * i + 0] = (Real)x1;
        x[2 * i + 1] = (Real)x2;
    }
}

void toy_sample(Toy t, Rng& rng, int n, Tensor& out) {
    if (n < 0) throw symkl::Error("toy_sample: the number of points must be >= 0, got " + std::to_string(n));
    out.resize(n, 2);
    Real* x = out.ptr();
    switch (t) {
        case Toy::gaussians8: sample_gaussians8(rng, n, x); break;
        case Toy::moons: sample_moons(rng, n, x); break;
        case Toy::circles: sample_circles(rng, n, x); break;
        case Toy::rings: sample_rings(rng, n, x); break;
        case Toy::checkerboard: sample_checkerboard(rng, n, x); break;
        case Toy::pinwheel: sample_pinwheel(rng, n, x); break;
        case Toy::swissroll: sample_swissroll(rng, n, x); break;
        case Toy::spirals2: sample_spirals2(rng, n, x); break;
    }
}

// ---------------------------------------------------------------------------------------
// quadrature rules over θ

// A rule with Σ_i ν_i = 1, stored as the unit vectors (cos θ_i, sin θ_i) and log ν_i.
struct ThetaRule {
    std::vector<double> cos_t, sin_t, log_nu;  // each (n)
};

enum class RuleKind { trapezoid, gauss_legendre };

// P_n(z) by (k + 1) P_{k+1} = (2k + 1) z P_k − k P_{k−1} from P_0 = 1, P_1 = z, and its
// derivative from (z² − 1) P_n'(z) = n (z P_n − P_{n−1}) (valid for |z| < 1).
static void legendre(int n, double z, double* p_n, double* dp_n) {
    double p_prev = 1, p = z;
    for (int k = 1; k < n; k++) {
        const double p_next = ((2 * k + 1) * z * p - k * p_prev) / (k + 1);
        p_prev = p;
        p = p_next;
    }
    *p_n = p;
    *dp_n = n * (z * p - p_prev) / (z * z - 1);
}

// Gauss–Legendre on [−1, 1]: the nodes t_i are the n roots of P_n, found by Newton's
// method from cos(π (i + 3/4) / (n + 1/2)), which is already close; the weights are
// w_i = 2 / ((1 − t_i²) P_n'(t_i)²). The rule is symmetric, so we solve for the positive
// half and mirror it. t (n) ascending, w (n).
static void gauss_legendre(int n, double* t, double* w) {
    for (int i = 0; i < (n + 1) / 2; i++) {
        double z = std::cos(kPi * (i + 0.75) / (n + 0.5));
        double p, dp;
        for (int iter = 0; iter < 100; iter++) {
            legendre(n, z, &p, &dp);
            const double dz = p / dp;
            z -= dz;
            if (std::fabs(dz) <= 1e-15) break;
        }
        legendre(n, z, &p, &dp);
        t[n - 1 - i] = z;
        t[i] = -z;
        w[i] = w[n - 1 - i] = 2 / ((1 - z * z) * dp * dp);
    }
}

static ThetaRule make_rule(RuleKind kind, int n) {
    ThetaRule q;
    q.cos_t.resize(n);
    q.sin_t.resize(n);
    q.log_nu.resize(n);
    if (kind == RuleKind::trapezoid) {
        // θ_i = 2πi/n, ν_i = 1/n: for a periodic integrand the error falls faster than any
        // power of n
        for (int i = 0; i < n; i++) {
            const double theta = 2 * kPi * i / n;
            q.cos_t[i] = std::cos(theta);
            q.sin_t[i] = std::sin(theta);
            q.log_nu[i] = -std::log((double)n);
        }
    } else {
        // θ = (π/2)(1 + t) maps [−1, 1] to [0, π]: (1/π) ∫_0^π f dθ = Σ_i (w_i / 2) f(θ_i)
        std::vector<double> t(n), w(n);
        gauss_legendre(n, t.data(), w.data());
        for (int i = 0; i < n; i++) {
            const double theta = 0.5 * kPi * (1 + t[i]);
            q.cos_t[i] = std::cos(theta);
            q.sin_t[i] = std::sin(theta);
            q.log_nu[i] = std::log(0.5 * w[i]);
        }
    }
    return q;
}

// The rules at the default resolution are built on first use (C++11 makes the
// initialisation of a function-local static thread-safe) and only read afterwards.
static const ThetaRule& default_rule(RuleKind kind) {
    if (kind == RuleKind::gauss_legendre) {
        static const ThetaRule gl = make_rule(RuleKind::gauss_legendre, toy_n_quad_default);
        return gl;
    }
    static const ThetaRule trap = make_rule(RuleKind::trapezoid, toy_n_quad_default);
    return trap;
}

// ---------------------------------------------------------------------------------------
// densities

// Arc a has centres o_a + ρ_a (cos θ, sin θ); every arc has weight 1/A.
struct Arc {
    double o1, o2, rho;
};
struct ArcMixture {
    int A = 0;
    Arc arc[4] = {};
    double sigma = 1;
    RuleKind rule = RuleKind::trapezoid;
};

static ArcMixture arc_mixture(Toy t) {
    ArcMixture m;
    switch (t) {
        case Toy::gaussians8:
            m.A = 1;
            m.arc[0] = {0, 0, 4 / 1.414};
            m.sigma = 0.5 / 1.414;
            break;
        case Toy::moons:
            m.A = 2;
            m.arc[0] = {-1, -0.2, 2};  // 2 (cos θ, sin θ) + (−1, −0.2)
            m.arc[1] = {1, 0.8, -2};   // 2 (1 − cos θ, 0.5 − sin θ) + (−1, −0.2)
            m.sigma = 0.2;
            m.rule = RuleKind::gauss_legendre;
            break;
        case Toy::circles:
            m.A = 2;
            m.arc[0] = {0, 0, 3};
            m.arc[1] = {0, 0, 1.5};
            m.sigma = 0.24;
            break;
        case Toy::rings:
            m.A = 4;
            m.arc[0] = {0, 0, 3};
            m.arc[1] = {0, 0, 2.25};
            m.arc[2] = {0, 0, 1.5};
            m.arc[3] = {0, 0, 0.75};
            m.sigma = 0.08;
            break;
        default: break;
    }
    return m;
}

// log π(x) = log Σ_a Σ_i exp(e_ai) − log A − log(2πσ²), e_ai = log ν_i − |x − μ_a(θ_i)|²/(2σ²),
// by log-sum-exp in two passes: the largest exponent e_max, then Σ exp(e − e_max) ≥ 1.
// Terms with e − e_max < −50 are skipped: even 10⁴ of them add under 10⁻¹⁸ to a sum ≥ 1,
// below double rounding, and skipping them saves most of the exp calls.
static double log_arc_mixture(double x1, double x2, const ArcMixture& m, const ThetaRule& q) {
    const int n = (int)q.log_nu.size();
    const double* ct = q.cos_t.data();
    const double* st = q.sin_t.data();
    const double* lnu = q.log_nu.data();
    const double inv_2s2 = 1 / (2 * m.sigma * m.sigma);
    double e_max = -std::numeric_limits<double>::infinity();
    for (int a = 0; a < m.A; a++) {
        const double d1 = x1 - m.arc[a].o1, d2 = x2 - m.arc[a].o2, rho = m.arc[a].rho;
        for (int i = 0; i < n; i++) {
            const double r1 = d1 - rho * ct[i], r2 = d2 - rho * st[i];
            const double e = lnu[i] - (r1 * r1 + r2 * r2) * inv_2s2;
            if (e > e_max) e_max = e;
        }
    }
    double sum = 0;
    for (int a = 0; a < m.A; a++) {
        const double d1 = x1 - m.arc[a].o1, d2 = x2 - m.arc[a].o2, rho = m.arc[a].rho;
        for (int i = 0; i < n; i++) {
            const double r1 = d1 - rho * ct[i], r2 = d2 - rho * st[i];
            const double de = lnu[i] - (r1 * r1 + r2 * r2) * inv_2s2 - e_max;
            if (de > -50) sum += std::exp(de);
        }
    }
    return e_max + std::log(sum) - std::log((double)m.A) - std::log(2 * kPi * m.sigma * m.sigma);
}

// Closed squares: a point on an edge counts for both cells it touches, so a sample that
// rounds onto an edge (as x2 = U − 2 can, and float Real often will) keeps its density.
static bool on_checkerboard(double u1, double u2) {
    if (!(u1 >= -2 && u1 <= 2 && u2 >= -2 && u2 <= 2)) return false;
    const int i_hi = (int)std::floor(u1), j_hi = (int)std::floor(u2);
    const int i_lo = (u1 == i_hi) ? i_hi - 1 : i_hi;
    const int j_lo = (u2 == j_hi) ? j_hi - 1 : j_hi;
    for (int i = i_lo; i <= i_hi; i++)
        for (int j = j_lo; j <= j_hi; j++)
            if (i >= -2 && i <= 1 && j >= -2 && j <= 1 && (i + j) % 2 == 0) return true;
    return false;
}

void toy_log_density_n(Toy t, const Tensor& x, double* out, int n_quad) {
    if (!toy_has_density(t))
        throw symkl::Error(std::string("toy set '") + toy_name(t) +
                           "' has no true density; KL divergences need one of 8gaussians, moons, "
                           "circles, rings, checkerboard (report train/test NLL for the others)");
    if (x.cols != 2)
        throw symkl::Error("toy_log_density: points must have 2 columns, got " + std::to_string(x.cols));
    if (n_quad < 2)
        throw symkl::Error("toy_log_density: n_quad must be at least 2, got " + std::to_string(n_quad));
    const int n = x.rows;
    // a NaN point (say, a sample of a diverged model) gets a NaN log-density, not −∞,
    // so that the caller's NaN checks see it
    const double nan = std::numeric_limits<double>::quiet_NaN();

    if (t == Toy::checkerboard) {
        const double log_p = std::log(1.0 / 32.0);
        const double neg_inf = -std::numeric_limits<double>::infinity();
        #pragma omp parallel for
        for (int i = 0; i < n; i++) {
            const double u1 = 0.5 * (double)x.at(i, 0), u2 = 0.5 * (double)x.at(i, 1);
            out[i] = std::isnan(u1) || std::isnan(u2) ? nan : on_checkerboard(u1, u2) ? log_p : neg_inf;
        }
        return;
    }

    const ArcMixture m = arc_mixture(t);
    // 8gaussians is the 8-node trapezoid rule itself; the other rules are built here
    // (outside the parallel loop) unless the default one is asked for
    ThetaRule local;
    const ThetaRule* q = &local;
    if (t == Toy::gaussians8) local = make_rule(RuleKind::trapezoid, 8);
    else if (n_quad == toy_n_quad_default) q = &default_rule(m.rule);
    else local = make_rule(m.rule, n_quad);

    #pragma omp parallel for
    for (int i = 0; i < n; i++) {
        const double x1 = (double)x.at(i, 0), x2 = (double)x.at(i, 1);
        out[i] = std::isnan(x1) || std::isnan(x2) ? nan : log_arc_mixture(x1, x2, m, *q);
    }
}

void toy_log_density(Toy t, const Tensor& x, double* out) {
    toy_log_density_n(t, x, out, toy_n_quad_default);
}

Tensor toy_conditional_gaussian(int n, uint64_t seed) {
    Rng rng(seed);
    Tensor r(n, 4);
    for (int i = 0; i < n; i++) {
        const double y0 = rng.normal(), y1 = rng.normal();
        r.at(i, 0) = (Real)(0.8 * y0 - 0.5 * y1 + 0.1 * rng.normal());
        r.at(i, 1) = (Real)(0.3 * y0 + 0.9 * y1 + 0.1 * rng.normal());
        r.at(i, 2) = (Real)y0, r.at(i, 3) = (Real)y1;
    }
    return r;
}
