// coupling.cpp — affine coupling in both directions, and the backward of each.
//
// Every loop over the batch is parallel over rows: each row is independent and
// each thread writes only its own rows, so results do not depend on thread count.
#include "flow/coupling.h"
#include "tensor/check.h"
#include "tensor/parallel.h"
#include "tensor/vmath.h"

#include <cmath>

bool scale_from_name(const std::string& name, Scale* out) {
    if (name == "tanh") *out = Scale::tanh;
    else if (name == "exp") *out = Scale::exp;
    else return false;
    return true;
}

const char* scale_name(Scale s) { return s == Scale::tanh ? "tanh" : "exp"; }

void coupling_declare(Coupling& c, Params& p, const std::string& prefix, int D, Half cond,
                      int hidden, int depth, Act act, Scale scale, Real clamp, int context) {
    const int first = D / 2;  // size of the first half; the second has D − D/2
    c.D = D;
    c.scale = scale;
    c.clamp = clamp;
    c.dc = context;
    if (cond == Half::first) {
        c.a0 = 0, c.da = first;
        c.b0 = first, c.db = D - first;
    } else {
        c.a0 = first, c.da = D - first;
        c.b0 = 0, c.db = first;
    }
    mlp_declare(c.net, p, prefix + ".net", c.da + c.dc, hidden, 2 * c.db, depth, act);
}

void coupling_cache_init(CouplingCache& cc, const Coupling& c, int cap) {
    cc.xa.resize(cap, c.da + c.dc);
    cc.h.resize(cap, 2 * c.db);
    cc.cap = cap;
    cc.pass = CouplingPass::none;
    cc.s.resize(cap, c.db);
    cc.exp_s.resize(cap, c.db);
    cc.exp_neg_s.resize(cap, c.db);
    cc.xb.resize(cap, c.db);
    cc.dh.resize(cap, 2 * c.db);
    cc.dxa.resize(cap, c.da + c.dc);
    mlp_cache_init(cc.net, c.net, cap);
}

// s = c·tanh(s̃/c) or s = s̃
static inline Real scale_map(Real sraw, Scale scale, Real clamp) {
    return scale == Scale::tanh ? clamp * vtanh(sraw / clamp) : sraw;
}
// ds̃ = ds · ∂s/∂s̃, with ∂s/∂s̃ = 1 − tanh² = 1 − (s/c)² for the bounded map
static inline Real scale_map_grad(Real ds, Real s, Scale scale, Real clamp) {
    if (scale == Scale::exp) return ds;
    const Real r = s / clamp;
    return ds * (Real(1) - r * r);
}

// Copy the conditioning block of each row, then its context, into cc.xa and run the
// conditioner.
static void condition(const Real* in, const Real* y, const Coupling& c, const Params& p,
                      CouplingCache& cc, int B) {
    const int D = c.D, da = c.da, a0 = c.a0, dc = c.dc, w = da + dc;
    Real* xa = cc.xa.ptr();
    parallel_rows(B, (long)B * (D + dc) >= PAR_MIN_ELEMS, [&](int i0, int i1) {
        for (int i = i0; i < i1; i++) {
            for (int j = 0; j < da; j++) xa[(size_t)i * w + j] = in[(size_t)i * D + a0 + j];
            for (int j = 0; j < dc; j++) xa[(size_t)i * w + da + j] = y[(size_t)i * dc + j];
        }
    });
    mlp_forward(cc.h.ptr(), cc.xa.ptr(), c.net, p, cc.net, B);
}

// Block a is both the conditioner's input and copied to the output unchanged, so its
// gradient is the identity path's plus the conditioner's: d_in_a = d_out_a + MLPᵀ(dh).
// Used by both backward passes (the conditioner sees the same block in both directions).
// The context reaches the output only through the conditioner: dy += MLPᵀ(dh)'s last dc
// columns.
static void conditioner_backward(Real* d_in, const Real* d_out, Real* dy, const Coupling& c,
                                 Params& p, CouplingCache& cc, int B) {
    const int D = c.D, da = c.da, a0 = c.a0, dc = c.dc;
    mlp_backward(cc.dxa.ptr(), cc.dh.ptr(), cc.xa.ptr(), c.net, p, cc.net, B);
    parallel_rows(B, (long)B * (D + dc) >= PAR_MIN_ELEMS, [&](int i0, int i1) {
        for (int i = i0; i < i1; i++) {
            for (int j = 0; j < da; j++)
                d_in[(size_t)i * D + a0 + j] = d_out[(size_t)i * D + a0 + j] + cc.dxa.at(i, j);
            if (dy)
                for (int j = 0; j < dc; j++) dy[(size_t)i * dc + j] += cc.dxa.at(i, da + j);
        }
    });
}

void coupling_forward(Real* z, Real* ld, const Real* x, const Coupling& c, const Params& p,
                      CouplingCache& cc, int B, const Real* y) {
    SYMKL_CHECK(B <= cc.cap, "coupling_forward: batch larger than the cache");
    SYMKL_CHECK(c.dc == 0 || y, "coupling_forward: a conditional coupling needs its context");
    cc.pass = CouplingPass::density;
    condition(x, y, c, p, cc, B);
    const int D = c.D, db = c.db, a0 = c.a0, da = c.da, b0 = c.b0;
    const Scale scale = c.scale;
    const Real clamp = c.clamp;
    parallel_rows(B, (long)B * D * 8 >= PAR_MIN_ELEMS, [&](int i0, int i1) {
        for (int i = i0; i < i1; i++) {
            const Real* xi = x + (size_t)i * D;
            const Real* hi = cc.h.row(i);
            Real* zi = z + (size_t)i * D;
            Real* si = cc.s.row(i);
            Real* ei = cc.exp_s.row(i);
            Real* xbi = cc.xb.row(i);
            Real sum_s = 0;
            for (int j = 0; j < da; j++) zi[a0 + j] = xi[a0 + j];
            for (int j = 0; j < db; j++) {
                const Real s = scale_map(hi[j], scale, clamp), t = hi[db + j];
                const Real e = vexp(s);
                xbi[j] = xi[b0 + j];
                si[j] = s;
                ei[j] = e;
                zi[b0 + j] = xbi[j] * e + t;  // z_b = x_b ⊙ exp(s) + t
                sum_s += s;
            }
            ld[i] = sum_s;  // log|det ∂z/∂x| = Σ_j s_j (the Jacobian is triangular)
        }
    });
}

void coupling_density_backward(Real* dx, const Real* dz, const Real* dld, const Coupling& c,
                               Params& p, CouplingCache& cc, int B, Real* dy) {
    SYMKL_CHECK(B <= cc.cap, "coupling_density_backward: batch larger than the cache");
    SYMKL_CHECK(cc.pass == CouplingPass::density, "coupling_density_backward: the cache holds no density pass");
    const int D = c.D, db = c.db, b0 = c.b0;
    const Scale scale = c.scale;
    const Real clamp = c.clamp;
    // in the forward pass this was: z_b = x_b ⊙ e + t with e = exp(s), ld = Σ s; so
    //   dt = dz_b,   ds = dz_b ⊙ x_b ⊙ e + dld,   dx_b = dz_b ⊙ e
    parallel_rows(B, (long)B * D * 8 >= PAR_MIN_ELEMS, [&](int i0, int i1) {
        for (int i = i0; i < i1; i++) {
            const Real* dzi = dz + (size_t)i * D;
            const Real* si = cc.s.row(i);
            const Real* ei = cc.exp_s.row(i);
            const Real* xbi = cc.xb.row(i);
            Real* dhi = cc.dh.row(i);
            Real* dxi = dx + (size_t)i * D;
            for (int j = 0; j < db; j++) {
                const Real dzb = dzi[b0 + j];
                const Real ds = dzb * xbi[j] * ei[j] + dld[i];
                dhi[j] = scale_map_grad(ds, si[j], scale, clamp);  // through s = c·tanh(s̃/c)
                dhi[db + j] = dzb;                                  // dt
                dxi[b0 + j] = dzb * ei[j];
            }
        }
    });
    // the conditioner read x_a, which also passes through unchanged as z_a
    conditioner_backward(dx, dz, dy, c, p, cc, B);
}

void coupling_inverse(Real* x, Real* ld, const Real* z, const Coupling& c, const Params& p,
                      CouplingCache& cc, int B, const Real* y) {
    SYMKL_CHECK(B <= cc.cap, "coupling_inverse: batch larger than the cache");
    SYMKL_CHECK(c.dc == 0 || y, "coupling_inverse: a conditional coupling needs its context");
    cc.pass = CouplingPass::sampling;
    condition(z, y, c, p, cc, B);  // x_a = z_a, so the conditioner sees the same input
    const int D = c.D, db = c.db, a0 = c.a0, da = c.da, b0 = c.b0;
    const Scale scale = c.scale;
    const Real clamp = c.clamp;
    parallel_rows(B, (long)B * D * 8 >= PAR_MIN_ELEMS, [&](int i0, int i1) {
        for (int i = i0; i < i1; i++) {
            const Real* zi = z + (size_t)i * D;
            const Real* hi = cc.h.row(i);
            Real* xi = x + (size_t)i * D;
            Real* si = cc.s.row(i);
            Real* ei = cc.exp_neg_s.row(i);
            Real* xbi = cc.xb.row(i);
            Real sum_s = 0;
            for (int j = 0; j < da; j++) xi[a0 + j] = zi[a0 + j];
            for (int j = 0; j < db; j++) {
                const Real s = scale_map(hi[j], scale, clamp), t = hi[db + j];
                const Real e = vexp(-s);
                si[j] = s;
                ei[j] = e;
                xbi[j] = (zi[b0 + j] - t) * e;  // x_b = (z_b − t) ⊙ exp(−s)
                xi[b0 + j] = xbi[j];
                sum_s += s;
            }
            ld[i] = -sum_s;  // log|det ∂x/∂z| = −Σ_j s_j
        }
    });
}

void coupling_inverse_backward(Real* dz, const Real* dx, const Real* dld, const Coupling& c,
                               Params& p, CouplingCache& cc, int B, Real* dy) {
    SYMKL_CHECK(B <= cc.cap, "coupling_inverse_backward: batch larger than the cache");
    SYMKL_CHECK(cc.pass == CouplingPass::sampling, "coupling_inverse_backward: the cache holds no sampling pass");
    const int D = c.D, db = c.db, b0 = c.b0;
    const Scale scale = c.scale;
    const Real clamp = c.clamp;
    // in the sampling pass this was: x_b = (z_b − t) ⊙ e with e = exp(−s), ld = −Σ s; so
    //   dz_b = dx_b ⊙ e,   dt = −dx_b ⊙ e,   ds = −dx_b ⊙ x_b − dld
    parallel_rows(B, (long)B * D * 8 >= PAR_MIN_ELEMS, [&](int i0, int i1) {
        for (int i = i0; i < i1; i++) {
            const Real* dxi = dx + (size_t)i * D;
            const Real* si = cc.s.row(i);
            const Real* ei = cc.exp_neg_s.row(i);
            const Real* xbi = cc.xb.row(i);
            Real* dhi = cc.dh.row(i);
            Real* dzi = dz + (size_t)i * D;
            for (int j = 0; j < db; j++) {
                const Real dxb = dxi[b0 + j];
                const Real ds = -dxb * xbi[j] - dld[i];
                dhi[j] = scale_map_grad(ds, si[j], scale, clamp);
                dhi[db + j] = -dxb * ei[j];
                dzi[b0 + j] = dxb * ei[j];
            }
        }
    });
    // the conditioner read z_a, which also passes through unchanged as x_a
    conditioner_backward(dz, dx, dy, c, p, cc, B);
}
