// vmath.h — symkl's own exp, sigmoid and tanh for float and double: branch-free, so a
// plain loop over an array vectorises, and built from +, −, ×, ÷ and integer bit
// operations only, so every build and instruction set (scalar, SSE2, AVX2, AVX-512)
// gives the same bits (symkl compiles with -ffp-contract=off; no libm, no FMA).
//
// exp(x). Write x = n·ln2 + r with n = round(x / ln2), so |r| ≤ ln2/2 ≈ 0.347 (a little
// more, by the rounding of x·log2e), and e^x = 2^n · e^r.
//   - n: t = x·log2e + M with M = 1.5·2^23 (float) or 1.5·2^52 (double). Adding M pushes
//     the fraction bits out of the significand, so t rounds x·log2e to the nearest
//     integer, n = t − M exactly, and the low bits of t's pattern hold n: bits(t) − bits(M)
//     = n as a two's-complement integer (|n| < 2^22).
//   - r (Cody–Waite): ln2 = L_hi + L_lo, where L_hi has only its leading 15 (float) / 32
//     (double) significand bits, so n·L_hi is exact for |n| ≤ 2^8 / 2^11 and x − n·L_hi is
//     exact (the two are close); then r = (x − n·L_hi) − n·L_lo.
//   - e^r: the Taylor polynomial 1 + r + r²/2! + … + r^N/N! in Horner form, N = 7 (float)
//     and N = 13 (double). The remainder is below |r|^(N+1)/(N+1)! · e^|r|: 0.347⁸/8! ·
//     1.42 ≈ 7·10⁻⁹ = 0.06 float ulps of e^r ≥ 0.7, and 0.347¹⁴/14! · 1.42 ≈ 6·10⁻¹⁸ =
//     0.05 double ulps. One term fewer (N = 6 / 12) leaves 1.7·10⁻⁷ / 2.2·10⁻¹⁶ ≈ 1.5 /
//     1.0 ulps: the tests show that this degraded polynomial breaks the bounds below
//     (all but the double sigmoid, which divides the error by 1 + e and reaches 2.48).
//   - 2^n from bits: the pattern (n + bias) << (significand bits). n reaches −160 (float)
//     / −1082 (double) before the result is 0, below the least normal exponent, and +128 /
//     +1024, above the largest, so the scale is applied as two factors 2^n1 · 2^n2 with
//     n1 = round(n/2), n2 = n − n1, each a normal number: p · 2^n1 is exact and the
//     second product rounds once, to a subnormal result, to 0, or to +inf, as IEEE
//     arithmetic rounds the exact value.
//   - ranges: outside [−110, 89] (float) / [−750, 710] (double), where e^x is already 0
//     or +inf, n would leave the range of the trick; there the result is selected as 0 or
//     +inf at the end (a select on the input would let GCC copy the rest of the function
//     into each branch with constants, and the copies' possible overflow keeps it from
//     vectorising). NaN fails both comparisons and propagates. exp(±0) = 1,
//     exp(+inf) = +inf, exp(−inf) = 0.
//     The bit operations are on unsigned integers, so no pattern (NaN's either) is UB.
//     The comparisons are the quiet std::isless / std::isgreater: an ordinary x < c may
//     raise the invalid-operation flag on NaN, and GCC then will not turn the select into
//     a vector blend (it keeps the branch, and the loop does not vectorise).
//
// sigmoid(x) = 1/(1 + e^−x) for x ≥ 0 and e^x/(1 + e^x) for x < 0: with e = exp(−|x|) ∈
// [0, 1] neither form overflows, and large negative x give e^x's own subnormals, not 0.
//
// tanh(x) = sign(x) · E/(E + 2) (|x| < 5/8) or sign(x) · (1 − 2/(E + 2)) with E = e^{2|x|} − 1, and E from the same reduction
// without the leading 1: E = 2^n·q + (2^n − 1), q = r + r²/2! + … = e^r − 1. For |2x| <
// ln2/2, n = 0 and E = q: no cancellation near 0 (tanh of a subnormal x is x). Above
// |x| = 10 (float) / 20 (double), where 2/(E + 2) is below half an ulp of 1, the result
// is selected as 1. The sign is copied from x's sign bit, so tanh(−x) = −tanh(x) bit for bit and
// tanh(±0) = ±0.
//
// Measured maximum error over the full range (tests/test_vmath.cpp), in units in the last
// place of the exact value rounded to the format (for a subnormal result, the subnormal
// spacing 2^−149 / 2^−1074; so a subnormal result is counted in the format's own ulps,
// not relative to its size); float: every float input, against double libm; double:
// 20 million random bit patterns and uniform inputs in the finite range, against long double:
//               float    double
//   vexp        1.22     1.16     (the bound the tests check: 1.25 / 1.2)
//   vsigmoid    2.41     2.39     (2.5 / 2.5)
//   vtanh       3.26     3.06     (3.3 / 3.1)
// The exp bound is above 1 by the rounding of r and of the Horner steps (a hi/lo split of
// the last step would bring it under 1, at two more operations per element).
// (the exact measured maxima are in docs/performance.md, "Own exp, sigmoid and tanh").
#pragma once

#include <cmath>  // std::isless, std::isgreater: quiet comparisons, no library call
#include <cstdint>
#include <cstring>

#include "tensor/parallel.h"

namespace vmath_detail {

template <class T> struct Fmt;
template <> struct Fmt<float> {
    using U = uint32_t;
    static constexpr int mant = 23, bias = 127, terms = 7;
    static constexpr float magic = 12582912.0f;  // 1.5·2^23
    static constexpr float log2e = 1.44269504088896341f;
    static constexpr float ln2_hi = 0.693145751953125f;        // 0x3f317200: 15 bits
    static constexpr float ln2_lo = 1.428606765330187045e-06f;  // ln2 − ln2_hi
    static constexpr float exp_lo = -110.0f, exp_hi = 89.0f;
    static constexpr float tanh_hi = 10.0f;
};
template <> struct Fmt<double> {
    using U = uint64_t;
    static constexpr int mant = 52, bias = 1023, terms = 13;
    static constexpr double magic = 6755399441055744.0;  // 1.5·2^52
    static constexpr double log2e = 1.44269504088896338700e+00;
    static constexpr double ln2_hi = 6.93147180369123816490e-01;  // 0x3fe62e42fee00000: 32 bits
    static constexpr double ln2_lo = 1.90821492927058770002e-10;  // ln2 − ln2_hi
    static constexpr double exp_lo = -750.0, exp_hi = 710.0;
    static constexpr double tanh_hi = 20.0;
};

template <class T> SYMKL_ALWAYS_INLINE typename Fmt<T>::U bits(T x) {
    typename Fmt<T>::U u;
    std::memcpy(&u, &x, sizeof u);
    return u;
}
template <class T> SYMKL_ALWAYS_INLINE T from_bits(typename Fmt<T>::U u) {
    T x;
    std::memcpy(&x, &u, sizeof x);
    return x;
}

// c ? a : b on the bit patterns: both operands are always computed, so GCC can neither
// branch nor move a's or b's arithmetic under the condition (with -ftrapping-math, the
// default, it will not then turn the branch back into a vector blend)
template <class T> SYMKL_ALWAYS_INLINE T select(bool c, T a, T b) {
    using U = typename Fmt<T>::U;
    const U m = (U)0 - (U)c;
    return from_bits<T>((bits(a) & m) | (bits(b) & ~m));
}

// 1/k!, rounded once (k! is exact in T for the k used here)
template <class T> constexpr T inv_fact(int k) {
    T f = 1;
    for (int i = 2; i <= k; i++) f *= T(i);
    return T(1) / f;
}

// r/K! + r²/(K+1)! + … + r^(N−K+1)/N! in Horner form; expm1_poly<T, N>(r) = Σ_{k=1..N} r^k/k!
template <class T, int K, int N> SYMKL_ALWAYS_INLINE T horner(T r) {
    if constexpr (K == N) return inv_fact<T>(N);
    else return inv_fact<T>(K) + r * horner<T, K + 1, N>(r);
}
template <class T, int N> SYMKL_ALWAYS_INLINE T expm1_poly(T r) { return r * horner<T, 1, N>(r); }

// 2^k for an integer k (as the two's-complement pattern in U) in the normal range
template <class T> SYMKL_ALWAYS_INLINE T pow2(typename Fmt<T>::U k) {
    using U = typename Fmt<T>::U;
    return from_bits<T>((U)(k + (U)Fmt<T>::bias) << Fmt<T>::mant);
}

// e^x with an N-term polynomial (the tests degrade N to show the bound can fail)
template <class T, int N> SYMKL_ALWAYS_INLINE T exp_n(T x) {
    using F = Fmt<T>;
    using U = typename F::U;
    const T t = x * F::log2e + F::magic;
    const T nf = t - F::magic;                              // n = round(x / ln2)
    const T r = (x - nf * F::ln2_hi) - nf * F::ln2_lo;     // x − n·ln2
    const T p = T(1) + expm1_poly<T, N>(r);                 // e^r
    const T t1 = nf * T(0.5) + F::magic;                    // n1 = round(n/2)
    const U n = bits(t) - bits(F::magic), n1 = bits(t1) - bits(F::magic);
    const T y = p * pow2<T>(n1) * pow2<T>((U)(n - n1));     // (p · 2^n1) · 2^(n − n1)
    // outside [lo, hi] n is meaningless (and y too): the result there is +inf or 0
    return select(std::isgreater(x, F::exp_hi), T(INFINITY), select(std::isless(x, F::exp_lo), T(0), y));
}

// tanh(x) with an N-term polynomial for e^r − 1
template <class T, int N> SYMKL_ALWAYS_INLINE T tanh_n(T x) {
    using F = Fmt<T>;
    using U = typename F::U;
    const U sign = bits(x) & ((U)1 << (8 * sizeof(T) - 1));
    const T a = from_bits<T>(bits(x) ^ sign);               // |x|
    const T y = a + a;
    const T t = y * F::log2e + F::magic;
    const T nf = t - F::magic;                              // 0 ≤ n ≤ 29 / 58
    const T r = (y - nf * F::ln2_hi) - nf * F::ln2_lo;
    const T s = pow2<T>(bits(t) - bits(F::magic));          // 2^n
    const T E = s * expm1_poly<T, N>(r) + (s - T(1));       // e^y − 1
    // E/(E + 2) below |x| = 5/8 (no cancellation near 0), 1 − 2/(E + 2) above (monotone
    // and exact as tanh nears 1): one division either way
    const bool small = std::isless(a, T(0.625));
    const T q = select(small, E, T(2)) / (E + T(2));
    const T th = select(std::isgreater(a, F::tanh_hi), T(1), select(small, q, T(1) - q));  // NaN passes
    return from_bits<T>(bits(th) | sign);
}

}  // namespace vmath_detail

// e^x, correctly handling overflow (+inf), subnormal results, 0, NaN and ±inf.
SYMKL_ALWAYS_INLINE float vexp(float x) { return vmath_detail::exp_n<float, vmath_detail::Fmt<float>::terms>(x); }
SYMKL_ALWAYS_INLINE double vexp(double x) { return vmath_detail::exp_n<double, vmath_detail::Fmt<double>::terms>(x); }

// σ(x) = 1/(1 + e^−x), accurate for large negative x too (e^x/(1 + e^x) there).
template <class T> SYMKL_ALWAYS_INLINE T vsigmoid_t(T x) {
    const bool neg = std::isless(x, T(0));
    const T e = vexp(vmath_detail::select(neg, x, -x));                       // e^−|x| ∈ [0, 1]
    const T num = vmath_detail::select(neg, e, T(1));
    return num / (T(1) + e);
}
SYMKL_ALWAYS_INLINE float vsigmoid(float x) { return vsigmoid_t(x); }
SYMKL_ALWAYS_INLINE double vsigmoid(double x) { return vsigmoid_t(x); }

// tanh(x): odd bit for bit, tanh(±0) = ±0, exactly ±1 for large |x|, NaN → NaN.
SYMKL_ALWAYS_INLINE float vtanh(float x) { return vmath_detail::tanh_n<float, vmath_detail::Fmt<float>::terms>(x); }
SYMKL_ALWAYS_INLINE double vtanh(double x) { return vmath_detail::tanh_n<double, vmath_detail::Fmt<double>::terms>(x); }
