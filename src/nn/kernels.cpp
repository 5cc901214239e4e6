// kernels.cpp — cache-blocked matrix products for the Linear layer.
//
// All three products are one shape, C (M × N) = A (M × K) · B (K × N), with C
// row-major and A, B read through strides, so a single blocked loop nest serves them:
//
//   product    C      A (M × K)               B (K × N)              C starts at
//   forward    y      x    (B × in)           Wᵀ (in × out)          the bias b
//   dx         dx     dy   (B × out)          W  (out × in)          zero
//   dW         dW     dyᵀ  (out × B)          x  (B × in)            its old value
//
// The blocking, for a micro-tile of MR × NR elements of C (NR = one 64-byte cache line,
// or two with AVX-512):
//
//   1. C is cut into tiles of TM × TN, the unit of parallel work. OpenMP hands whole
//      tiles to threads, so each thread owns every C element it writes, and the tile
//      grid depends only on the shapes, never on the thread count.
//   2. Inside a tile, k runs in blocks of KC (16 KB of packed B: 256 rows of a line).
//      For each k-block and each panel of NR columns, the B sliver (KC × NR) is copied
//      into a contiguous buffer on the stack ("packing": unit stride, edge columns
//      zero-padded), where it stays in L1 while every micro-tile of the panel streams
//      past it. The A rows of the k-block (TM × KC) stay in L2 across the panels.
//   3. The micro-kernel keeps the MR × NR block of C in registers; per k it broadcasts
//      MR values of A and multiplies them with one packed row of B. The compiler
//      vectorises the NR loop. The shape is chosen per instruction set, to give enough
//      independent accumulators to hide the adder latency without spilling registers:
//        portable (SSE2, 16 registers of 16 bytes)   4 × 64 bytes
//        AVX2 + FMA (16 registers of 32 bytes)       4 × 64 bytes
//        AVX-512 + FMA (32 registers of 64 bytes)    8 × 128 bytes (8 × 64 when the
//                                                    tile is at most a line wide)
//
// Order of operations: per k-block, each C element is loaded, receives its KC terms
// in ascending k, and is stored. Over all blocks that is init, +k=0, +k=1, …, +k=K−1:
// the textbook loop, whatever the block sizes, tile grid, micro-tile or thread count.
// Tiles at the right and bottom edges run the same micro-kernel on zero-padded copies.
//
// FMA: this file alone is compiled with -ffp-contract=fast (Makefile, CMake), so in
// the AVX2 and AVX-512 versions c += a·b is one fused multiply-add, rounded once. The
// two give identical bits (the same fma chain per element); the portable version,
// without FMA instructions, rounds the product separately and may differ in the last
// bits (make FMA=0 compiles this file unfused). One machine always runs the same
// version: results never depend on the thread count or on OpenMP.
#include "nn/kernels.h"
#include "tensor/parallel.h"

#include <algorithm>
#include <cstddef>
#include <cstring>

namespace {

constexpr int TM_MAX = 512;                    // largest tile height (row-sum buffer)
constexpr int TM_PACK_A = 128;                 // tile height when A is packed (dW)
constexpr int LINE = 64 / (int)sizeof(Real);   // Reals in a 64-byte cache line

// C (M × N) = A · B (+ init), C(i, j) = c[i·N + j].
struct Product {
    int M = 0, N = 0, K = 0;
    const Real* a = nullptr;
    long a_rs = 0, a_ks = 0;         // A(i, k) = a[i·a_rs + k·a_ks]
    const Real* b = nullptr;
    long b_ks = 0, b_js = 0;         // B(k, j) = b[k·b_ks + j·b_js]
    Real* c = nullptr;
    const Real* bias = nullptr;      // C starts at bias[j] (forward) ...
    bool accumulate = false;         // ... or at its old value (dW); otherwise at zero
    Real* rowsum = nullptr;          // rowsum[i] += Σ_k A(i, k)  (db of dW; needs a_rs = 1)
    Real* h = nullptr;               // epilogue: h = act(C)          (forward)
    bool relu_c = false;             // C = max(C, 0) in place        (forward through ReLU, h = C)
    const Real* pre = nullptr;       // epilogue: C ⊙= act'(pre, post) (dx through act)
    const Real* post = nullptr;
    Act act = Act::relu;
};

// c (MR × NR, row stride ldc) = start + A (MR × kc) · bp (kc × NR, packed), where the
// start is the row `init` repeated (bias or zeros) or, when init is null, c itself.
// Row r of A is a_row[r][k · a_ks]. The accumulators are a local array that the
// compiler keeps in registers once the r and j loops are unrolled; each element is
// one chain of multiply-adds (fused where the version has FMA) in ascending k.
// K_UNIT (a_ks = 1: forward and dx) lets the compiler address all rows with one index.
template <int MR, int NR, bool K_UNIT>
SYMKL_ALWAYS_INLINE void micro_tile(Real* c, long ldc, const Real* init, const Real* const a_row[MR], long a_ks,
                                    const Real* bp, int kc, bool relu) {
    Real acc[MR][NR];
    if (init) {
        for (int r = 0; r < MR; r++)
            for (int j = 0; j < NR; j++) acc[r][j] = init[j];
    } else {
        for (int r = 0; r < MR; r++)
            for (int j = 0; j < NR; j++) acc[r][j] = c[r * ldc + j];
    }
    for (int k = 0; k < kc; k++) {
        const Real* bk = bp + (size_t)k * NR;
#pragma GCC unroll 16
        for (int r = 0; r < MR; r++) {
            const Real ark = a_row[r][K_UNIT ? k : k * a_ks];
#pragma GCC unroll 32
            for (int j = 0; j < NR; j++) acc[r][j] += ark * bk[j];
        }
    }
    if (relu)  // max(C, 0) as act_forward_span computes it (NaN and −0 give +0)
        for (int r = 0; r < MR; r++)
            for (int j = 0; j < NR; j++) c[r * ldc + j] = acc[r][j] > 0 ? acc[r][j] : Real(0);
    else
        for (int r = 0; r < MR; r++)
            for (int j = 0; j < NR; j++) c[r * ldc + j] = acc[r][j];
}

// bp (kc × NR) = B(k0 .. k0+kc, j0 .. j0+nr), columns past nr set to zero.
// Either layout of B is read along its contiguous direction.
template <int NR>
SYMKL_ALWAYS_INLINE void pack_b(Real* bp, const Product& p, int k0, int kc, int j0, int nr) {
    if (nr < NR)
        for (int i = 0; i < kc * NR; i++) bp[i] = 0;
    if (p.b_js == 1 && nr == NR) {  // B row-major: each k gives one line of NR values
        for (int k = 0; k < kc; k++) {
            const Real* src = p.b + (k0 + k) * p.b_ks + j0;
            for (int j = 0; j < NR; j++) bp[k * NR + j] = src[j];
        }
    } else if (p.b_js == 1) {
        for (int k = 0; k < kc; k++) {
            const Real* src = p.b + (k0 + k) * p.b_ks + j0;
            for (int j = 0; j < nr; j++) bp[k * NR + j] = src[j];
        }
    } else {            // B = Wᵀ with W row-major: each j gives kc contiguous values
        for (int j = 0; j < nr; j++) {
            const Real* src = p.b + k0 * p.b_ks + (j0 + j) * p.b_js;
            for (int k = 0; k < kc; k++) bp[k * NR + j] = src[k * p.b_ks];
        }
    }
}

// One tile of C: rows [i0, i1), columns [j0, j1), in micro-tiles of MR × NR (without
// the epilogue: see product_tile).
template <int MR, int NR>
SYMKL_ALWAYS_INLINE void blocked_tile(const Product& p, int i0, int i1, int j0, int j1) {
    constexpr int KC = 16384 / (NR * (int)sizeof(Real));  // k-block: 16 KB of packed B
    static_assert(TM_MAX % MR == 0 && TM_PACK_A % MR == 0, "tiles hold whole micro-tiles");
    alignas(64) Real bp[KC * NR];     // the packed B sliver
    alignas(64) Real init[NR];        // the panel's starting row: bias or zeros
    alignas(64) Real cp[MR * NR] = {};  // edge micro-tiles: C through a padded copy
    Real rs[TM_MAX];                  // partial row sums of A
    // dW reads A = dyᵀ: for each k, MR neighbours in a row of dy, and rows of dy are
    // out·size apart (2 KB at out = 512), a power of two that maps the k-block's rows to
    // a few L1 sets. With two or more panels the tile copies its rows of the k-block
    // into ap at a padded stride (LDA_PACK, not a power of two) and reads them there.
    constexpr int LDA_PACK = TM_PACK_A + 16;
    alignas(64) Real ap[KC * LDA_PACK];
    const bool pack_a = p.a_rs == 1 && p.a_ks != 1 && j1 - j0 > NR && i1 - i0 <= TM_PACK_A;
    const int N = p.N;
    const bool sums = p.rowsum && j0 == 0;  // the row sums belong to the first column of tiles
    if (sums)
        for (int i = i0; i < i1; i++) rs[i - i0] = 0;
    // k0 = 0 runs even when K = 0, so that C still gets its start value
    for (int k0 = 0; k0 == 0 || k0 < p.K; k0 += KC) {
        const int kc = std::min(KC, p.K - k0);
        const bool fresh = k0 == 0 && !p.accumulate;  // C starts here, not from memory
        const bool relu = p.relu_c && k0 + KC >= p.K;    // C is final after this k-block
        // A = dyᵀ: row k of dy holds A(i0 .. i1, k) contiguously; the row sums and the
        // packed copy read each row once, while it is in L1
        if (sums || pack_a)
            for (int k = 0; k < kc; k++) {
                const Real* ak = p.a + (k0 + k) * p.a_ks + i0;
                if (sums) {
                    #pragma omp simd
                    for (int i = 0; i < i1 - i0; i++) rs[i] += ak[i];
                }
                if (pack_a) {
                    #pragma omp simd
                    for (int i = 0; i < i1 - i0; i++) ap[k * LDA_PACK + i] = ak[i];
                }
            }
        for (int j = j0; j < j1; j += NR) {
            const int nr = std::min(NR, j1 - j);
            if (fresh)
                for (int jj = 0; jj < NR; jj++) init[jj] = p.bias && jj < nr ? p.bias[j + jj] : Real(0);
            pack_b<NR>(bp, p, k0, kc, j, nr);
            for (int i = i0; i < i1; i += MR) {
                const int mr = std::min(MR, i1 - i);
                const Real* a_row[MR];  // rows past the edge repeat the last one; their results are dropped
                long a_ks = p.a_ks;
                for (int r = 0; r < MR; r++) a_row[r] = p.a + (i + std::min(r, mr - 1)) * p.a_rs + k0 * p.a_ks;
                if (pack_a) {
                    for (int r = 0; r < MR; r++) a_row[r] = ap + (i - i0 + std::min(r, mr - 1));
                    a_ks = LDA_PACK;
                }
                Real* c = p.c + (size_t)i * N + j;
                if (mr == MR && nr == NR) {
                    if (a_ks == 1) micro_tile<MR, NR, true>(c, N, fresh ? init : nullptr, a_row, 1, bp, kc, relu);
                    else micro_tile<MR, NR, false>(c, N, fresh ? init : nullptr, a_row, a_ks, bp, kc, relu);
                    continue;
                }
                if (!fresh)
                    for (int r = 0; r < mr; r++)
                        for (int jj = 0; jj < nr; jj++) cp[r * NR + jj] = c[r * N + jj];
                micro_tile<MR, NR, false>(cp, NR, fresh ? init : nullptr, a_row, a_ks, bp, kc, relu);
                for (int r = 0; r < mr; r++)
                    for (int jj = 0; jj < nr; jj++) c[r * N + jj] = cp[r * NR + jj];
            }
        }
    }
    if (sums)
        for (int i = i0; i < i1; i++) p.rowsum[i] += rs[i - i0];
}

// ----------------------------------------------------------------------------
// Narrow products. The 2-D models' layers are narrow at both ends: the conditioner's
// first layer has in = 1 and its last out = 2, the energy's first in = 2 and its last
// out = 1. There the micro-tile above wastes most of its lanes (one column of sixteen),
// or spends its time loading and storing C around one or two multiply-adds, so three
// shapes get loops of their own. Each C element is still one chain of multiply-adds in
// ascending k from the same start, fused where the version fuses: the values are the
// blocked loops' bit for bit.
//
//   short sums   K ≤ 4 (forward of in ≤ 4, dx of out ≤ 4): a row of C is its start plus
//                K rows of B, each scaled by one A(i, k); vectorised along the row.
//   few columns  N ≤ 4 (forward of out ≤ 4, dx of in ≤ 4, dW of in ≤ 4): the lanes of a
//                vector hold neighbouring rows of C, each its own chain. For dW a column
//                of A = dyᵀ is contiguous and loads as it is; forward and dx read A by
//                rows, so blocks of A are loaded row by row and transposed in registers.
//   few rows     M ≤ 2 (dW of out ≤ 2): the blocked loops, with micro-tiles one or two
//                rows high and wider, so that they still keep eight accumulators busy.
//
// The vectors are the compiler's generic ones (GCC and Clang), 32 bytes: each version
// compiles them for its own instruction set. Other compilers run the scalar loops.

constexpr int SHORT_K = 8, SHORT_N_MAX = 1024, FEW_N = 4;

#if defined(__GNUC__)
#define SYMKL_VEC 1
#if !defined(__clang__)
#pragma GCC diagnostic ignored "-Wpsabi"  // vectors in the baseline version's own helpers: all inlined
#endif
typedef Real Vec __attribute__((vector_size(32)));
constexpr int VL = 32 / (int)sizeof(Real);  // lanes: 8 floats or 4 doubles
SYMKL_ALWAYS_INLINE Vec vload(const Real* p) {
    Vec v;
    std::memcpy(&v, p, sizeof v);
    return v;
}
SYMKL_ALWAYS_INLINE void vstore(Real* p, Vec v) { std::memcpy(p, &v, sizeof v); }
SYMKL_ALWAYS_INLINE Vec vsplat(Real x) { return Vec{} + x; }
#else
#define SYMKL_VEC 0
#endif
#if SYMKL_VEC && (defined(__clang__) || __GNUC__ >= 12)  // __builtin_shufflevector
#define SYMKL_TRANSPOSE 1
#else
#define SYMKL_TRANSPOSE 0
#endif

// The start of C's columns j0 .. j0 + n: the bias, or zeros.
SYMKL_ALWAYS_INLINE void start_row(Real* init, const Product& p, int j0, int n) {
    for (int j = 0; j < n; j++) init[j] = p.bias ? p.bias[j0 + j] : Real(0);
}

template <int KK>
SYMKL_ALWAYS_INLINE void short_sum_tile(const Product& p, int i0, int i1, int j0, int j1) {
    const int n = j1 - j0, N = p.N;
    alignas(64) Real bp[SHORT_K * SHORT_N_MAX];  // B(k, j0 + j) at bp[k·n + j]
    alignas(64) Real init[SHORT_N_MAX];
#pragma GCC unroll 16
    for (int k = 0; k < KK; k++)
        for (int j = 0; j < n; j++) bp[k * n + j] = p.b[k * p.b_ks + (j0 + j) * p.b_js];
    start_row(init, p, j0, n);
    for (int i = i0; i < i1; i++) {
        Real a[KK];
#pragma GCC unroll 16
        for (int k = 0; k < KK; k++) a[k] = p.a[i * p.a_rs + k * p.a_ks];
        Real* c = p.c + (size_t)i * N + j0;
        const Real* s = p.accumulate ? c : init;
        int j = 0;
#if SYMKL_VEC
        for (; j + VL <= n; j += VL) {
            Vec acc = vload(s + j);
#pragma GCC unroll 16
            for (int k = 0; k < KK; k++) acc += a[k] * vload(bp + k * n + j);
            vstore(c + j, acc);
        }
#endif
        for (; j < n; j++) {
            Real acc = s[j];
#pragma GCC unroll 16
            for (int k = 0; k < KK; k++) acc += a[k] * bp[k * n + j];
            c[j] = acc;
        }
    }
}

// One row i of a few-columns tile, for the k-block k0 .. k0 + kc (B packed as
// bp[k·NN + j]); from init, or from C when init is null. The scalar loop: edge rows,
// and compilers without vectors.
template <int NN>
SYMKL_ALWAYS_INLINE void few_cols_row(const Product& p, int i, int j0, const Real* bp, int k0, int kc,
                                      const Real* init) {
    Real* c = p.c + (size_t)i * p.N + j0;
    Real acc[NN];
#pragma GCC unroll 16
    for (int j = 0; j < NN; j++) acc[j] = init ? init[j] : c[j];
    const Real* a = p.a + i * p.a_rs + k0 * p.a_ks;
    for (int k = 0; k < kc; k++)
#pragma GCC unroll 16
        for (int j = 0; j < NN; j++) acc[j] += a[k * p.a_ks] * bp[k * NN + j];
#pragma GCC unroll 16
    for (int j = 0; j < NN; j++) c[j] = acc[j];
}

#if SYMKL_VEC
// Rows i .. i + G·VL: lane r of acc[j][g] is C(i + g·VL + r, j0 + j).
template <int NN, int G>
SYMKL_ALWAYS_INLINE void load_acc(Vec (&acc)[NN][G], const Product& p, int i, int j0, const Real* init) {
#pragma GCC unroll 16
    for (int j = 0; j < NN; j++)
#pragma GCC unroll 16
        for (int g = 0; g < G; g++) {
            if (init) {
                acc[j][g] = vsplat(init[j]);
            } else {
                Real c[VL];
#pragma GCC unroll 16
                for (int r = 0; r < VL; r++) c[r] = p.c[(size_t)(i + g * VL + r) * p.N + j0 + j];
                acc[j][g] = vload(c);
            }
        }
}

template <int NN, int G>
SYMKL_ALWAYS_INLINE void store_acc(const Vec (&acc)[NN][G], const Product& p, int i, int j0) {
#pragma GCC unroll 16
    for (int g = 0; g < G; g++)
#pragma GCC unroll 16
        for (int r = 0; r < VL; r++)
#pragma GCC unroll 16
            for (int j = 0; j < NN; j++) p.c[(size_t)(i + g * VL + r) * p.N + j0 + j] = acc[j][g][r];
}

// A(·, k) contiguous (A = dyᵀ): each column of a row block is G vectors as they lie.
template <int NN, int G>
SYMKL_ALWAYS_INLINE void few_cols_unit(const Product& p, int i, int j0, const Real* bp, int k0, int kc,
                                       const Real* init) {
    Vec acc[NN][G];
    load_acc<NN, G>(acc, p, i, j0, init);
    for (int k = 0; k < kc; k++) {
        const Real* ak = p.a + (k0 + k) * p.a_ks + i;
        Vec a[G];
#pragma GCC unroll 16
        for (int g = 0; g < G; g++) a[g] = vload(ak + g * VL);
#pragma GCC unroll 16
        for (int j = 0; j < NN; j++) {
            const Real b = bp[k * NN + j];
#pragma GCC unroll 16
            for (int g = 0; g < G; g++) acc[j][g] += a[g] * b;
        }
    }
    store_acc<NN, G>(acc, p, i, j0);
}
#endif

#if SYMKL_TRANSPOSE
// Rows i .. i + G·VL, A read by rows (forward, dx): a block of a vector's width of rows
// and half a vector's width of k is loaded as two half-blocks side by side (rows r and
// r + VL/2 in the low and high halves of t[r]) and transposed within the halves, which
// leaves one k for all VL rows in each vector; the last kc mod (VL/2) k one lane at a time.
template <int NN, int G>
SYMKL_ALWAYS_INLINE void few_cols_rows(const Product& p, int i, int j0, const Real* bp, int k0, int kc,
                                       const Real* init) {
    constexpr int H = VL / 2;
    typedef Real Half __attribute__((vector_size(16)));
    Vec acc[NN][G];
    load_acc<NN, G>(acc, p, i, j0, init);
    const Real* a = p.a + i * p.a_rs + k0;
    int k = 0;
    for (; k + H <= kc; k += H)
#pragma GCC unroll 16
        for (int g = 0; g < G; g++) {
            Vec t[H], col[H];
#pragma GCC unroll 16
            for (int r = 0; r < H; r++) {
                Half lo, hi;
                std::memcpy(&lo, a + (g * VL + r) * p.a_rs + k, sizeof lo);
                std::memcpy(&hi, a + (g * VL + r + H) * p.a_rs + k, sizeof hi);
#ifdef SYMKL_REAL_FLOAT
                t[r] = __builtin_shufflevector(lo, hi, 0, 1, 2, 3, 4, 5, 6, 7);
#else
                t[r] = __builtin_shufflevector(lo, hi, 0, 1, 2, 3);
#endif
            }
#ifdef SYMKL_REAL_FLOAT
            const Vec u0 = __builtin_shufflevector(t[0], t[1], 0, 8, 1, 9, 4, 12, 5, 13);
            const Vec u1 = __builtin_shufflevector(t[0], t[1], 2, 10, 3, 11, 6, 14, 7, 15);
            const Vec u2 = __builtin_shufflevector(t[2], t[3], 0, 8, 1, 9, 4, 12, 5, 13);
            const Vec u3 = __builtin_shufflevector(t[2], t[3], 2, 10, 3, 11, 6, 14, 7, 15);
            col[0] = __builtin_shufflevector(u0, u2, 0, 1, 8, 9, 4, 5, 12, 13);
            col[1] = __builtin_shufflevector(u0, u2, 2, 3, 10, 11, 6, 7, 14, 15);
            col[2] = __builtin_shufflevector(u1, u3, 0, 1, 8, 9, 4, 5, 12, 13);
            col[3] = __builtin_shufflevector(u1, u3, 2, 3, 10, 11, 6, 7, 14, 15);
#else
            col[0] = __builtin_shufflevector(t[0], t[1], 0, 4, 2, 6);
            col[1] = __builtin_shufflevector(t[0], t[1], 1, 5, 3, 7);
#endif
#pragma GCC unroll 16
            for (int q = 0; q < H; q++)
#pragma GCC unroll 16
                for (int j = 0; j < NN; j++) acc[j][g] += col[q] * bp[(k + q) * NN + j];
        }
    for (; k < kc; k++)
#pragma GCC unroll 16
        for (int g = 0; g < G; g++) {
            Real c[VL];
#pragma GCC unroll 16
            for (int r = 0; r < VL; r++) c[r] = a[(g * VL + r) * p.a_rs + k];
            const Vec col = vload(c);
#pragma GCC unroll 16
            for (int j = 0; j < NN; j++) acc[j][g] += col * bp[k * NN + j];
        }
    store_acc<NN, G>(acc, p, i, j0);
}
#endif

template <int NN>
SYMKL_ALWAYS_INLINE void few_cols_tile(const Product& p, int i0, int i1, int j0) {
    constexpr int KC = 1024;
    alignas(64) Real bp[KC * NN];
    alignas(64) Real init[NN];
    start_row(init, p, j0, NN);
    for (int k0 = 0; k0 == 0 || k0 < p.K; k0 += KC) {
        const int kc = std::min(KC, p.K - k0);
        const Real* start = k0 == 0 && !p.accumulate ? init : nullptr;
        for (int k = 0; k < kc; k++)
            for (int j = 0; j < NN; j++) bp[k * NN + j] = p.b[(k0 + k) * p.b_ks + (j0 + j) * p.b_js];
        int i = i0;
#if SYMKL_VEC
        if (p.a_rs == 1) {
            constexpr int G = NN == 1 ? 8 : NN == 2 ? 4 : 2;  // eight chains in flight, or six
            for (; i + G * VL <= i1; i += G * VL) few_cols_unit<NN, G>(p, i, j0, bp, k0, kc, start);
            for (; i + VL <= i1; i += VL) few_cols_unit<NN, 1>(p, i, j0, bp, k0, kc, start);
        }
#endif
#if SYMKL_TRANSPOSE
        if (p.a_ks == 1) {
            constexpr int G = NN == 1 ? 4 : 2;
            for (; i + G * VL <= i1; i += G * VL) few_cols_rows<NN, G>(p, i, j0, bp, k0, kc, start);
            for (; i + VL <= i1; i += VL) few_cols_rows<NN, 1>(p, i, j0, bp, k0, kc, start);
        }
#endif
        for (; i < i1; i++) few_cols_row<NN>(p, i, j0, bp, k0, kc, start);
    }
}

// The narrow loops' entries (each compiled into every version below), with the sums of
// A's rows (db) that the blocked loops add themselves.
SYMKL_ALWAYS_INLINE void narrow_row_sums(const Product& p, int i0, int i1, int j0) {
    if (!p.rowsum || j0 != 0) return;  // A(i, k) = a[i + k·a_ks] (a_rs = 1)
    Real rs[TM_MAX];                    // a tile has at most TM_MAX rows
    const int m = i1 - i0;
    for (int i = 0; i < m; i++) rs[i] = 0;
    for (int k = 0; k < p.K; k++) {
        const Real* ak = p.a + k * p.a_ks + i0;
        #pragma omp simd
        for (int i = 0; i < m; i++) rs[i] += ak[i];
    }
    for (int i = 0; i < m; i++) p.rowsum[i0 + i] += rs[i];
}

SYMKL_ALWAYS_INLINE void short_sum_any(const Product& p, int i0, int i1, int j0, int j1) {
    switch (p.K) {
        case 1: short_sum_tile<1>(p, i0, i1, j0, j1); break;
        case 2: short_sum_tile<2>(p, i0, i1, j0, j1); break;
        case 3: short_sum_tile<3>(p, i0, i1, j0, j1); break;
        case 4: short_sum_tile<4>(p, i0, i1, j0, j1); break;
        case 5: short_sum_tile<5>(p, i0, i1, j0, j1); break;
        case 6: short_sum_tile<6>(p, i0, i1, j0, j1); break;
        case 7: short_sum_tile<7>(p, i0, i1, j0, j1); break;
        default: short_sum_tile<8>(p, i0, i1, j0, j1); break;
    }
    narrow_row_sums(p, i0, i1, j0);
}

SYMKL_ALWAYS_INLINE void few_cols_any(const Product& p, int i0, int i1, int j0, int j1) {
    switch (j1 - j0) {
        case 1: few_cols_tile<1>(p, i0, i1, j0); break;
        case 2: few_cols_tile<2>(p, i0, i1, j0); break;
        case 3: few_cols_tile<3>(p, i0, i1, j0); break;
        default: few_cols_tile<4>(p, i0, i1, j0); break;
    }
    narrow_row_sums(p, i0, i1, j0);
}

SYMKL_ALWAYS_INLINE void few_rows_any(const Product& p, int i0, int i1, int j0, int j1) {
    if (i1 - i0 == 1) blocked_tile<1, 4 * LINE>(p, i0, i1, j0, j1);
    else blocked_tile<2, 2 * LINE>(p, i0, i1, j0, j1);
}

SYMKL_ALWAYS_INLINE void half_line_any(const Product& p, int i0, int i1, int j0, int j1) {
    blocked_tile<8, LINE / 2>(p, i0, i1, j0, j1);
}

// The versions of the loops, and the ones this CPU runs (chosen once, at start-up).
using TileFn = void (*)(const Product& p, int i0, int i1, int j0, int j1);

struct Version {
    TileFn blocked, short_sum, few_cols, few_rows, half_line;
    const char* name;
};

// The build's own instruction set: the baseline (SSE2 on x86-64), or whatever the
// compiler flags allow (make NATIVE=1 on an AVX-512 CPU gets the AVX-512 shape).
#if defined(__AVX512F__)
void blocked_baseline(const Product& p, int i0, int i1, int j0, int j1) {
    blocked_tile<8, 2 * LINE>(p, i0, i1, j0, j1);
}
const char* const BASELINE_NAME = "build flags (AVX-512), 8 x 128-byte micro-tiles";
#else
void blocked_baseline(const Product& p, int i0, int i1, int j0, int j1) {
    blocked_tile<4, LINE>(p, i0, i1, j0, j1);
}
const char* const BASELINE_NAME = "build flags (portable), 4 x 64-byte micro-tiles";
#endif

// The narrow loops of one version, each a function of its own: inlined into one big
// function, GCC no longer keeps the blocked micro-tile in registers.
#define SYMKL_NARROW_VERSION(SUFFIX, ATTR)                                             \
    ATTR void short_sum_##SUFFIX(const Product& p, int i0, int i1, int j0, int j1) { \
        short_sum_any(p, i0, i1, j0, j1);                                            \
    }                                                                                \
    ATTR void few_cols_##SUFFIX(const Product& p, int i0, int i1, int j0, int j1) {  \
        few_cols_any(p, i0, i1, j0, j1);                                             \
    }                                                                                \
    ATTR void few_rows_##SUFFIX(const Product& p, int i0, int i1, int j0, int j1) {  \
        few_rows_any(p, i0, i1, j0, j1);                                             \
    }                                                                                \
    ATTR void half_line_##SUFFIX(const Product& p, int i0, int i1, int j0, int j1) { \
        half_line_any(p, i0, i1, j0, j1);                                            \
    }

SYMKL_NARROW_VERSION(baseline, )

#if SYMKL_X86_VERSIONS
#define SYMKL_AVX2 __attribute__((target("arch=x86-64-v3")))
#define SYMKL_AVX512 __attribute__((target("arch=x86-64-v4")))

SYMKL_AVX2 void blocked_avx2(const Product& p, int i0, int i1, int j0, int j1) {
    blocked_tile<4, LINE>(p, i0, i1, j0, j1);
}

SYMKL_AVX512 void blocked_avx512(const Product& p, int i0, int i1, int j0, int j1) {
    // a tile at most one line wide wastes half the lanes of 2 lines
    if (j1 - j0 <= LINE) blocked_tile<8, LINE>(p, i0, i1, j0, j1);
    else blocked_tile<8, 2 * LINE>(p, i0, i1, j0, j1);
}

SYMKL_NARROW_VERSION(avx2, SYMKL_AVX2)
SYMKL_NARROW_VERSION(avx512, SYMKL_AVX512)
#endif

Version pick_version() {
#if SYMKL_X86_VERSIONS
    __builtin_cpu_init();
    if (__builtin_cpu_supports("x86-64-v4"))
        return {blocked_avx512, short_sum_avx512, few_cols_avx512, few_rows_avx512, half_line_avx512,
                "AVX-512 + FMA, 8 x 128-byte micro-tiles"};
    if (__builtin_cpu_supports("x86-64-v3"))
        return {blocked_avx2, short_sum_avx2, few_cols_avx2, few_rows_avx2, half_line_avx2, "AVX2 + FMA, 4 x 64-byte micro-tiles"};
#endif
    return {blocked_baseline, short_sum_baseline, few_cols_baseline, few_rows_baseline, half_line_baseline, BASELINE_NAME};
}

const Version VERSION = pick_version();

// One tile of C, by the loops that suit its shape, then its epilogue.
void product_tile(const Product& p, int i0, int i1, int j0, int j1) {
    const int m = i1 - i0, n = j1 - j0, N = p.N;
    bool relu_done = false;  // the blocked loops apply relu_c themselves, the others here
    if (p.K >= 1 && p.K <= SHORT_K && n <= SHORT_N_MAX) VERSION.short_sum(p, i0, i1, j0, j1);
    else if (n <= FEW_N) VERSION.few_cols(p, i0, i1, j0, j1);
    else {
        relu_done = true;
        if (m <= 2) VERSION.few_rows(p, i0, i1, j0, j1);
        else if (n <= LINE / 2) VERSION.half_line(p, i0, i1, j0, j1);
        else VERSION.blocked(p, i0, i1, j0, j1);
    }
    // Epilogues run on the finished tile while it is still in cache: one span when the
    // tile has whole rows (forward and dx tiles do), else one per row.
    const bool whole = j0 == 0 && j1 == N;
    for (int i = i0; i < i1; i += whole ? i1 - i0 : 1) {
        const size_t at = (size_t)i * N + j0;
        const long len = whole ? (long)(i1 - i0) * N : j1 - j0;
        if (p.relu_c && !relu_done) act_forward_span(p.c + at, p.c + at, len, Act::relu);
        if (p.h) act_forward_span(p.h + at, p.c + at, len, p.act);
        if (p.pre) act_backward_span(p.c + at, p.c + at, p.pre + at, p.post + at, len, p.act);
    }
}

// A product and its tile shape.
struct Task {
    Product p;
    int tm = TM_MAX, tn = 128;
    int ntm() const { return (p.M + tm - 1) / tm; }
    int ntn() const { return (p.N + tn - 1) / tn; }
};

// Tile t of the concatenated tile lists of the tasks.
void run_tile(const Task* tasks, int t) {
    int task = 0, tile = t;
    while (tile >= tasks[task].ntm() * tasks[task].ntn()) {
        tile -= tasks[task].ntm() * tasks[task].ntn();
        task++;
    }
    const Task& k = tasks[task];
    const int i0 = tile / k.ntn() * k.tm, j0 = tile % k.ntn() * k.tn;
    product_tile(k.p, i0, std::min(i0 + k.tm, k.p.M), j0, std::min(j0 + k.tn, k.p.N));
}

// The tiles of one or two independent products in one parallel loop (one fork and one
// join for a layer's whole backward), when the work pays for the threads. Tiles are
// handed out one at a time (dynamic): when another process holds a core, the thread
// that runs takes over the waiting one's tiles. Which thread computes a tile never
// changes its values.
void run(const Task* tasks, int n_tasks) {
    int tiles = 0;
    long macs = 0;  // of the largest product: the threshold is per product, as for any loop
    for (int t = 0; t < n_tasks; t++) {
        tiles += tasks[t].ntm() * tasks[t].ntn();
        macs = std::max(macs, (long)tasks[t].p.M * tasks[t].p.N * tasks[t].p.K);
    }
    if (tiles == 1 || macs < PAR_MIN_MACS) {  // not even an inactive region: that costs ~0.6 µs
        for (int t = 0; t < tiles; t++) run_tile(tasks, t);
        return;
    }
    #pragma omp parallel for schedule(dynamic, 1)
    for (int t = 0; t < tiles; t++) run_tile(tasks, t);
}

// Tile shapes: forward and dx are tall (B rows, up to a few hundred columns): whole rows,
// up to 512 at a time (row_tile), so each packed B sliver serves up to 64 micro-tiles
// (packing Wᵀ is a strided gather: worth doing rarely), and B = 4096 gives 8 tiles to
// share. dW (out × in) is cut into 128-row tiles, as wide as leaves at least 4 tiles
// (dw_col_tile): a 512 × 512 dW gives 4 tiles of 128 × 512, a 16 × 512 one 4 of 16 × 128.
// Rows per forward or dx tile: up to 512, but at least 4 tiles when the product is big
// enough to run in parallel, so that threads share batches of 512 or 1024 rows too. It
// depends on the shape only, never on the thread count.
int row_tile(int B, int in, int out) {
    if ((long)B * in * out < PAR_MIN_MACS) return TM_MAX;
    const int tm = ((B + 3) / 4 + 7) / 8 * 8;  // a quarter of the rows, whole micro-tiles
    return std::max(64, std::min(TM_MAX, tm));
}

Task forward_task(Real* y, Real* h, const Real* x, const Real* W, const Real* b, int B, int in, int out, Act act) {
    Task t;
    Product& p = t.p;
    p.M = B, p.N = out, p.K = in;
    p.a = x, p.a_rs = in, p.a_ks = 1;
    p.b = W, p.b_ks = 1, p.b_js = in;  // B(k, o) = Wᵀ(k, o) = W[o·in + k]
    p.c = y, p.bias = b;
    p.h = h, p.act = act;
    if (h == y && act == Act::relu) p.h = nullptr, p.relu_c = true;  // in place: h = max(C, 0)
    t.tm = row_tile(B, in, out), t.tn = out;
    return t;
}

Task dx_task(Real* dx, const Real* dy, const Real* W, int B, int in, int out, const Real* pre, const Real* post,
             Act act) {
    Task t;
    Product& p = t.p;
    p.M = B, p.N = in, p.K = out;
    p.a = dy, p.a_rs = out, p.a_ks = 1;
    p.b = W, p.b_ks = in, p.b_js = 1;  // B(o, k) = W[o·in + k]
    p.c = dx;
    p.pre = pre, p.post = post, p.act = act;
    t.tm = row_tile(B, in, out), t.tn = in;
    return t;
}

// Columns per dW tile (dW is out × in, in 128-row tiles): as wide as leaves at least 4
// tiles, and at least 128. Wide tiles pay: each tile packs its rows of dyᵀ once per
// k-block and reuses them across all its panels, and reads dy once per row of tiles
// instead of once per tile (the 4096 × 512 × 512 dW: 29.6-30.0 GFLOP/s on one thread in
// 128-column tiles, 33.6-33.9 in 512-column ones; docs/performance.md).
int dw_col_tile(int out, int in) {
    const int row_tiles = (out + TM_PACK_A - 1) / TM_PACK_A;
    const int col_tiles = (4 + row_tiles - 1) / row_tiles;  // 1 once there are 4 rows of tiles
    const int tn = ((in + col_tiles - 1) / col_tiles + 63) / 64 * 64;
    return std::max(128, tn);
}

Task dw_task(Real* dW, Real* db, const Real* dy, const Real* x, int B, int in, int out) {
    Task t;
    Product& p = t.p;
    p.M = out, p.N = in, p.K = B;
    p.a = dy, p.a_rs = 1, p.a_ks = out;  // A(o, i) = dyᵀ(o, i) = dy[i·out + o]
    p.b = x, p.b_ks = in, p.b_js = 1;
    p.c = dW, p.accumulate = true;
    p.rowsum = db;
    t.tm = TM_PACK_A, t.tn = dw_col_tile(out, in);
    return t;
}

}  // namespace

const char* matmul_version() { return VERSION.name; }

void matmul_forward(Real* y, Real* h, const Real* x, const Real* W, const Real* b, int B, int in, int out,
                    Act act) {
    const Task t = forward_task(y, h, x, W, b, B, in, out, act);
    run(&t, 1);
}

void matmul_backward(Real* dx, Real* dW, Real* db, const Real* dy, const Real* x, const Real* W, int B, int in,
                     int out, const Real* pre, Act act) {
    Task t[2];
    int n = 0;
    if (dW) t[n++] = dw_task(dW, db, dy, x, B, in, out);
    if (dx) t[n++] = dx_task(dx, dy, W, B, in, out, pre, pre ? x : nullptr, act);
    if (n > 0) run(t, n);
}
