// fuzz_loaders.cpp — the flow, EBM and posterior checkpoint loaders: any bytes either
// give symkl::Error or a model no larger than the file that evaluates without a memory
// error (a posterior: log q(θ | x), with z-scoring maps of the right sizes). Run under a
// malloc limit (make fuzz passes -malloc_limit_mb): metadata that describes a huge model
// must be refused before anything is allocated.
#include "flow/flow.h"
#include "fuzz_util.h"
#include "io/checkpoint.h"
#include "io/posterior.h"
#include "proxy/ebm.h"
#include "tensor/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    // Checksums repaired, so that mutations reach the loaders (the reader's own
    // harness covers the checksums).
    const std::string bytes = fix_checksums(std::string((const char*)data, size));
    SafeTensors st;
    try {
        st = parse_safetensors(bytes, "fuzz");
    } catch (const symkl::Error&) {
        return 0;
    }
    try {
        checkpoint_record(st, "fuzz");
    } catch (const symkl::Error&) {
    }

    try {
        Flow f;
        flow_from_safetensors(f, st, "fuzz");
        FUZZ_CHECK(f.params.size() * 4 <= size);
        FlowCache c;
        flow_cache_init(c, f, 2);
        Tensor x(2, f.cfg.dim), logp(2, 1), y(2, f.cfg.context);  // y: a conditional flow's context
        flow_log_prob(logp.ptr(), x.ptr(), f, c, 2, y.ptr());
    } catch (const symkl::Error&) {
    }

    try {
        EBM e;
        ebm_from_safetensors(e, st, "fuzz");
        FUZZ_CHECK(e.params.size() * 4 <= size);
        EBMCache c;
        ebm_cache_init(c, e, 2);
        Tensor x(2, e.cfg.dim), energy(2, 1);
        ebm_energy(energy.ptr(), x.ptr(), e, c, 2);
    } catch (const symkl::Error&) {
    }

    try {
        Posterior post;
        posterior_from_safetensors(st, "fuzz", post);  // (edits st's metadata: last)
        FUZZ_CHECK(post.flow.params.size() * 4 <= size);
        const int K = post.flow.cfg.dim, C = post.flow.cfg.context;
        FUZZ_CHECK(C >= 1 && post.theta_z.empty() == post.x_z.empty());
        FUZZ_CHECK(post.theta_z.empty() || ((int)post.theta_z.shift.size() == K && (int)post.x_z.shift.size() == C));
        FlowCache c;
        flow_cache_init(c, post.flow, 2);
        Tensor theta(2, K), logq(2, 1), x(2, C);
        flow_log_prob(logq.ptr(), theta.ptr(), post.flow, c, 2, x.ptr());
    } catch (const symkl::Error&) {
    }
    return 0;
}
