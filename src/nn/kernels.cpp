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
                                    const Real* bp, int kc) {
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

// One tile of C: rows [i0, i1), columns [j0, j1), in micro-tiles of MR × NR.
template <int MR, int NR>
SYMKL_ALWAYS_INLINE void product_tile(const Product& p, int i0, int i1, int j0, int j1) {
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
        if (sums)  // A = dyᵀ: row k of dy holds A(i0 .. i1, k) contiguously
            for (int k = k0; k < k0 + kc; k++) {
                const Real* ak = p.a + k * p.a_ks + i0;
                #pragma omp simd
                for (int i = 0; i < i1 - i0; i++) rs[i] += ak[i];
            }
        if (pack_a)
            for (int k = 0; k < kc; k++) {
                const Real* ak = p.a + (k0 + k) * p.a_ks + i0;
                #pragma omp simd
                for (int i = 0; i < i1 - i0; i++) ap[k * LDA_PACK + i] = ak[i];
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
                    if (a_ks == 1) micro_tile<MR, NR, true>(c, N, fresh ? init : nullptr, a_row, 1, bp, kc);
                    else micro_tile<MR, NR, false>(c, N, fresh ? init : nullptr, a_row, a_ks, bp, kc);
                    continue;
                }
                if (!fresh)
                    for (int r = 0; r < mr; r++)
                        for (int jj = 0; jj < nr; jj++) cp[r * NR + jj] = c[r * N + jj];
                micro_tile<MR, NR, false>(cp, NR, fresh ? init : nullptr, a_row, a_ks, bp, kc);
                for (int r = 0; r < mr; r++)
                    for (int jj = 0; jj < nr; jj++) c[r * N + jj] = cp[r * NR + jj];
            }
        }
    }
    if (sums)
        for (int i = i0; i < i1; i++) p.rowsum[i] += rs[i - i0];
    // Epilogues run on the finished tile while it is still in cache: one span when the
    // tile has whole rows (forward and dx tiles do), else one per row.
    const bool whole = j0 == 0 && j1 == N;
    for (int i = i0; i < i1; i += whole ? i1 - i0 : 1) {
        const size_t at = (size_t)i * N + j0;
        const long n = whole ? (long)(i1 - i0) * N : j1 - j0;
        if (p.h) act_forward_span(p.h + at, p.c + at, n, p.act);
        if (p.pre) act_backward_span(p.c + at, p.c + at, p.pre + at, p.post + at, n, p.act);
    }
}

// The versions of the tile routine, and the one this CPU runs (chosen once, at start-up).
using TileFn = void (*)(const Product& p, int i0, int i1, int j0, int j1);

// The build's own instruction set: the baseline (SSE2 on x86-64), or whatever the
// compiler flags allow (make NATIVE=1 on an AVX-512 CPU gets the AVX-512 shape).
#if defined(__AVX512F__)
void tile_baseline(const Product& p, int i0, int i1, int j0, int j1) {
    product_tile<8, 2 * LINE>(p, i0, i1, j0, j1);
}
const char* const BASELINE_NAME = "build flags (AVX-512), 8 x 128-byte micro-tiles";
#else
void tile_baseline(const Product& p, int i0, int i1, int j0, int j1) {
    product_tile<4, LINE>(p, i0, i1, j0, j1);
}
const char* const BASELINE_NAME = "build flags (portable), 4 x 64-byte micro-tiles";
#endif

#if SYMKL_X86_VERSIONS
__attribute__((target("arch=x86-64-v3"))) void tile_avx2(const Product& p, int i0, int i1, int j0, int j1) {
    product_tile<4, LINE>(p, i0, i1, j0, j1);
}

__attribute__((target("arch=x86-64-v4"))) void tile_avx512(const Product& p, int i0, int i1, int j0, int j1) {
    // a tile at most one line wide (the narrow layers) wastes half the lanes of 2 lines
    if (j1 - j0 <= LINE) product_tile<8, LINE>(p, i0, i1, j0, j1);
    else product_tile<8, 2 * LINE>(p, i0, i1, j0, j1);
}
#endif

struct Version {
    TileFn tile;
    const char* name;
};

Version pick_version() {
#if SYMKL_X86_VERSIONS
    __builtin_cpu_init();
    if (__builtin_cpu_supports("x86-64-v4")) return {tile_avx512, "AVX-512 + FMA, 8 x 128-byte micro-tiles"};
    if (__builtin_cpu_supports("x86-64-v3")) return {tile_avx2, "AVX2 + FMA, 4 x 64-byte micro-tiles"};
#endif
    return {tile_baseline, BASELINE_NAME};
}

const Version VERSION = pick_version();

// A product and its tile shape.
struct Task {
    Product p;
    int tm = TM_MAX, tn = 128;
    int ntm() const { return (p.M + tm - 1) / tm; }
    int ntn() const { return (p.N + tn - 1) / tn; }
};

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
    #pragma omp parallel for schedule(dynamic, 1) if (tiles > 1 && macs >= PAR_MIN_MACS)
    for (int t = 0; t < tiles; t++) {
        int task = 0, tile = t;  // tile t of the concatenated lists
        while (tile >= tasks[task].ntm() * tasks[task].ntn()) {
            tile -= tasks[task].ntm() * tasks[task].ntn();
            task++;
        }
        const Task& k = tasks[task];
        const int i0 = tile / k.ntn() * k.tm, j0 = tile % k.ntn() * k.tn;
        VERSION.tile(k.p, i0, std::min(i0 + k.tm, k.p.M), j0, std::min(j0 + k.tn, k.p.N));
    }
}

// Tile shapes: forward and dx are tall (B rows, up to a few hundred columns): whole rows,
// up to 512 at a time (row_tile), so each packed B sliver serves up to 64 micro-tiles
// (packing Wᵀ is a strided gather: worth doing rarely), and B = 4096 gives 8 tiles to
// share. dW (out × in) is cut into 128 × 128 tiles: a 512 × 512 dW gives 16 of them.
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

Task dw_task(Real* dW, Real* db, const Real* dy, const Real* x, int B, int in, int out) {
    Task t;
    Product& p = t.p;
    p.M = out, p.N = in, p.K = B;
    p.a = dy, p.a_rs = 1, p.a_ks = out;  // A(o, i) = dyᵀ(o, i) = dy[i·out + o]
    p.b = x, p.b_ks = in, p.b_js = 1;
    p.c = dW, p.accumulate = true;
    p.rowsum = db;
    t.tm = TM_PACK_A, t.tn = 128;
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
