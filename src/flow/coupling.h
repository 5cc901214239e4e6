// coupling.h — the RealNVP affine coupling layer (Dinh et al. 2017).
//
// The D coordinates are split into a conditioning part a (da of them, at
// offset a0) and a transformed part b (db of them, at offset b0). An MLP
// conditioner reads x_a and outputs [s̃, t], each of size db. Then
//
//   density direction  (x → z):  z_a = x_a,  z_b = x_b ⊙ exp(s) + t,      log|det ∂z/∂x| = Σ_j s_j
//   sampling direction (z → x):  x_a = z_a,  x_b = (z_b − t) ⊙ exp(−s),   log|det ∂x/∂z| = −Σ_j s_j
//
// with the scale map s = c · tanh(s̃ / c) (bounded, the default) or s = s̃ (plain exp).
//
// Conditional couplings (dc > 0) model a density of x given a context y (dc numbers per
// row): the conditioner reads [x_a, y], so s and t depend on y, and nothing else changes.
// The passes then take y (B, dc); their backward passes add ∂loss/∂y into dy (the flow
// sums it over its couplings). dc = 0 is the unconditional coupling, computed exactly as
// before (the conditioner's input is x_a alone).
// Both directions have a backward: given upstream gradients on the output and on
// the log-det, it accumulates parameter gradients and writes the input gradient.
// docs/flow.md derives every line.
#pragma once

#include "nn/mlp.h"

enum class Scale { tanh, exp };
bool scale_from_name(const std::string& name, Scale* out);
const char* scale_name(Scale s);

struct Coupling {
    int D = 0, da = 0, db = 0;  // all, conditioning and transformed coordinates
    int a0 = 0, b0 = 0;         // offsets of the conditioning and transformed blocks
    int dc = 0;                 // context coordinates (0: unconditional)
    Scale scale = Scale::tanh;
    Real clamp = 2;             // c in s = c·tanh(s̃/c)
    MLP net;                    // da + dc → 2·db: reads [x_a, y], outputs [s̃ (db), t (db)]
};

// Which pass a cache holds: a backward must follow the pass of its own direction.
enum class CouplingPass { none, density, sampling };

// What the two backward passes need, for batches of up to cap rows. Each field has one
// meaning; the last pass decides which of exp_s and exp_neg_s is current.
struct CouplingCache {
    int cap = 0;
    CouplingPass pass = CouplingPass::none;  // the last pass run through this cache
    Tensor xa;         // (cap, da + dc) the conditioner's input: conditioning half, then context
    Tensor h;          // (cap, 2db) conditioner output [s̃, t]
    Tensor s;          // (cap, db) log-scale s after the scale map
    Tensor exp_s;      // (cap, db) exp(s), written by the density pass
    Tensor exp_neg_s;  // (cap, db) exp(−s), written by the sampling pass
    Tensor xb;         // (cap, db) the transformed half on the data side, x_b (the density
                       // pass's input, the sampling pass's output)
    Tensor dh;         // (cap, 2db) scratch: gradient on [s̃, t]
    Tensor dxa;        // (cap, da + dc) scratch: gradient on the conditioner's input
    MLPCache net;
};

// Which half of the coordinates the conditioner reads (the other half is transformed).
enum class Half { first, second };
// context: dc, the context coordinates the conditioner also reads (0: unconditional).
void coupling_declare(Coupling& c, Params& p, const std::string& prefix, int D, Half cond,
                      int hidden, int depth, Act act, Scale scale, Real clamp, int context = 0);
void coupling_cache_init(CouplingCache& cc, const Coupling& c, int cap);

// density direction: z (B, D), ld (B) = log|det ∂z/∂x|, from x (B, D) and the context
// y (B, dc) (unread when dc = 0); B ≤ cc.cap
void coupling_forward(Real* z, Real* ld, const Real* x, const Coupling& c, const Params& p,
                      CouplingCache& cc, int B, const Real* y = nullptr);
// The backward of the density direction (after coupling_forward on cc): given dz (B, D)
// and dld (B), parameter gradients accumulate, dx (B, D) is written, and when dy is not
// null ∂loss/∂y is added to dy (B, dc).
void coupling_density_backward(Real* dx, const Real* dz, const Real* dld, const Coupling& c,
                               Params& p, CouplingCache& cc, int B, Real* dy = nullptr);

// sampling direction: x (B, D), ld (B) = log|det ∂x/∂z|, from z (B, D) and the context
// y (B, dc); B ≤ cc.cap
void coupling_inverse(Real* x, Real* ld, const Real* z, const Coupling& c, const Params& p,
                      CouplingCache& cc, int B, const Real* y = nullptr);
// The backward of the sampling direction (after coupling_inverse on cc): given dx (B, D)
// and dld (B), parameter gradients accumulate, dz (B, D) is written, and ∂loss/∂y is
// added to dy (B, dc) when dy is not null.
void coupling_inverse_backward(Real* dz, const Real* dx, const Real* dld, const Coupling& c,
                               Params& p, CouplingCache& cc, int B, Real* dy = nullptr);
