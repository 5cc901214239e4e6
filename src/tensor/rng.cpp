// rng.cpp — xoshiro256** with splitmix64 seeding; polar-method normals.
#include "tensor/rng.h"

#include <cmath>

static uint64_t splitmix64(uint64_t& x) {
    uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

void Rng::reseed(uint64_t seed) {
    uint64_t x = seed;
    for (int i = 0; i < 4; i++) s[i] = splitmix64(x);
    has_spare = false;
    spare = 0.0;
}

uint64_t Rng::next_u64() {
    const uint64_t result = rotl(s[1] * 5, 7) * 9;
    const uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double Rng::uniform() {
    // 53 random bits scaled by 2^-53: every double in [0,1) on that grid is equally likely
    return (double)(next_u64() >> 11) * (1.0 / 9007199254740992.0);
}

double Rng::normal() {
    if (has_spare) {
        has_spare = false;
        return spare;
    }
    // Marsaglia's polar method: (u, v) uniform in the unit disc gives two
    // independent normals u*m and v*m with m = sqrt(-2 log r2 / r2).
    double u, v, r2;
    do {
        u = 2.0 * uniform() - 1.0;
        v = 2.0 * uniform() - 1.0;
        r2 = u * u + v * v;
    } while (r2 >= 1.0 || r2 == 0.0);
    const double m = std::sqrt(-2.0 * std::log(r2) / r2);
    spare = v * m;
    has_spare = true;
    return u * m;
}

uint64_t Rng::below(uint64_t n) {
    // rejection of the top partial block removes modulo bias
    const uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t r;
    do r = next_u64(); while (r >= limit);
    return r % n;
}

Rng Rng::split() { return Rng(next_u64()); }
