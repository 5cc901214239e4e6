// conditional_study.cpp — the study of docs/method.md §10: a conditional flow trained on a
// conditional Gaussian by each method, its held-out conditional NLL every tenth of the run.
//
//   make build/conditional_study
//   build/conditional_study METHOD PROXY STEPS SAMPLES CONTEXTS [EBM_HIDDEN [PROXY_LR]]
//   build/conditional_study jeffreys ebm 1000 4 8 64 3e-3
//
// The data: y ~ N(0, I₂), x | y ~ N(A y, 0.1² I₂) with A = [[0.8, −0.5], [0.3, 0.9]], rows
// [x, y]; 400 training rows (seed 61), 400 test rows (seed 62), as tests/test_fit.cpp. The
// true conditional NLL is log(2π · 0.01) = −2.77 nats. Flow: 4 couplings × 16 hidden; batch
// 32; the EBM has 8 hidden units unless EBM_HIDDEN is given; the proxy's learning rate is the
// library's default (1e-3) unless PROXY_LR is given. Prints ε, σ₀ and, every tenth of the
// run, F̂, R̂, Ĝ, the ESS fraction, λ and the test NLL. A research tool: arguments are not
// validated beyond their count.
#include <cstdio>
#include <cstdlib>

#include "data/toy.h"
#include "train/fit.h"

int main(int argc, char** argv) {
    if (argc < 6) {
        std::fprintf(stderr, "usage: conditional_study METHOD PROXY STEPS SAMPLES CONTEXTS [EBM_HIDDEN [PROXY_LR]]\n");
        return 2;
    }
    const Tensor train = toy_conditional_gaussian(400, 61), test = toy_conditional_gaussian(400, 62);
    FitConfig c;
    if (!method_from_name(argv[1], &c.trainer.method) || !proxy_kind_from_name(argv[2], &c.proxy_kind)) {
        std::fprintf(stderr, "conditional_study: unknown method or proxy\n");
        return 2;
    }
    const long steps = std::atol(argv[3]);
    c.trainer.batch = 32;
    c.trainer.samples = std::atoi(argv[4]);
    c.trainer.contexts = std::atoi(argv[5]);
    c.flow.layers = 4, c.flow.hidden = 16, c.flow.context = 2;
    c.proxy_flow = c.flow;
    c.ebm.hidden = argc > 6 ? std::atoi(argv[6]) : 8;
    if (argc > 7) c.trainer.proxy_adam.lr = std::atof(argv[7]);
    FitModels fm;
    Rng init(1), prox(2), batch(3);
    fit_init(fm, c, train, init, prox);
    std::printf("eps %.3f sigma0 %.3f\n", fm.resolved.eps, fm.resolved.sigma0);
    FlowCache cache;
    flow_cache_init(cache, fm.flow, 64);
    std::vector<Real> scratch;
    fit(fm.trainer, train, batch, FitSchedule{steps, steps / 10 > 0 ? steps / 10 : 1}, [&](const FitLog& l) {
        std::printf("%5ld F %.3f R %.3f G %.3f ess %.3f lambda %.3f test %.3f\n", l.step, l.loss, l.R, l.G, l.ess,
                    fm.trainer.lambda, mean_nll(fm.flow, cache, test, scratch));
        return true;
    });
    return 0;
}
