// test_determinism.cpp — results must not depend on the number of threads.
//
// The sizes here are large enough that every parallel branch of the kernels runs
// (see tensor/parallel.h), so 1 and 2 threads really take different code paths;
// outputs and gradients must still agree bit for bit.
#include <catch2/catch.hpp>

#include <cstring>

#include "flow/flow.h"
#include "gradcheck.h"
#include "tensor/parallel.h"

#ifdef _OPENMP
#include <omp.h>
#endif

struct PassResult {
    std::vector<Real> logp, x, lp_s, grad;
};

static PassResult run_passes(Flow& f, FlowCache& c, const std::vector<Real>& x, const std::vector<Real>& z, int B) {
    const int D = f.cfg.dim;
    PassResult r;
    r.logp.resize(B);
    r.x.resize((size_t)B * D);
    r.lp_s.resize(B);
    std::vector<Real> dlogp(B, Real(-1) / B), dx((size_t)B * D, Real(0.01));
    f.params.zero_grad();
    flow_log_prob(r.logp.data(), x.data(), f, c, B);
    flow_log_prob_backward(nullptr, dlogp.data(), f, c, B);
    flow_sample(r.x.data(), r.lp_s.data(), z.data(), f, c, B);
    flow_sample_backward(nullptr, dx.data(), dlogp.data(), f, c, B);
    r.grad = f.params.grad;
    return r;
}

TEST_CASE("determinism: flow passes and gradients are bit-identical for 1 and 2 threads", "[determinism][heavy]") {
    FlowConfig cfg;
    cfg.dim = 16;
    cfg.layers = 2;
    cfg.hidden = 256;
    cfg.act = Act::silu;
    const int B = 1024;
    REQUIRE((long)B * cfg.hidden * cfg.hidden >= PAR_MIN_MACS);     // matmuls run in parallel
    REQUIRE((long)B * cfg.dim * 8 >= PAR_MIN_ELEMS);                // so do the coupling loops
    Flow f;
    flow_build(f, cfg);
    Rng rng(21);
    for (const Coupling& cp : f.couplings) mlp_init(cp.net, f.params, rng, LastLayer::random);
    FlowCache c;
    flow_cache_init(c, f, B);
    std::vector<Real> x = random_vec((size_t)B * cfg.dim, rng, 2.0), z = random_vec((size_t)B * cfg.dim, rng, 2.0);
#ifdef _OPENMP
    const int saved = omp_get_max_threads();
    omp_set_num_threads(1);
    const PassResult one = run_passes(f, c, x, z, B);
    omp_set_num_threads(2);
    const PassResult two = run_passes(f, c, x, z, B);
    omp_set_num_threads(saved);
#else
    const PassResult one = run_passes(f, c, x, z, B);
    const PassResult two = run_passes(f, c, x, z, B);
#endif
    CHECK(std::memcmp(one.logp.data(), two.logp.data(), sizeof(Real) * one.logp.size()) == 0);
    CHECK(std::memcmp(one.x.data(), two.x.data(), sizeof(Real) * one.x.size()) == 0);
    CHECK(std::memcmp(one.lp_s.data(), two.lp_s.data(), sizeof(Real) * one.lp_s.size()) == 0);
    CHECK(std::memcmp(one.grad.data(), two.grad.data(), sizeof(Real) * one.grad.size()) == 0);
}
