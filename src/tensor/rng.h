// rng.h — a seeded, portable random number generator.
//
// xoshiro256** (Blackman & Vigna) seeded through splitmix64. Uniforms take the
// top 53 bits; normals use Marsaglia's polar method, which needs only log and
// sqrt. We do not use std::*_distribution: their output differs between
// standard libraries, and symkl promises the same numbers for the same seed.
#pragma once
#include <cstdint>

struct Rng {
    uint64_t s[4];
    bool has_spare = false;  // the polar method makes normals in pairs
    double spare = 0.0;

    explicit Rng(uint64_t seed = 0) { reseed(seed); }
    void reseed(uint64_t seed);

    uint64_t next_u64();
    double uniform();                 // in [0, 1)
    double normal();                  // N(0, 1)
    uint64_t below(uint64_t n);       // uniform in {0, .., n-1}, unbiased
    Rng split();                      // an independent child stream (for sub-tasks)
};
