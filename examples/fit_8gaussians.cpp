// fit_8gaussians.cpp — the method through the library alone, in one main().
//
// Trains the same RealNVP flow on 200 points of the 8-Gaussians mixture twice: by
// maximum likelihood, and by the adaptive symmetrized KL (jeffreys, EBM proxy). Then
// prints both models' test NLL and their true Jeffreys divergence to the data
// distribution (Monte Carlo against the known density). It uses the core library only
// (libsymkl.a: tensor, nn, flow, proxy, data, objectives, train): no files, no CLI.
//
//   make && build/example_fit_8gaussians [steps]
#include <cstdio>
#include <cstdlib>

#include "data/toy.h"
#include "train/fit.h"
#include "train/metrics.h"

int main(int argc, char** argv) {
    const long steps = argc > 1 ? std::atol(argv[1]) : 1000;
    const int n_train = 200, n_test = 5000, n_rev = 5000, log_every = steps / 5 > 0 ? steps / 5 : 1;
    if (steps < 1) {
        std::fprintf(stderr, "usage: %s [steps >= 1]\n", argv[0]);
        return 2;
    }

    // --- data: training points and fresh test points, each from its own stream ----------
    Rng data_rng(2024);
    Rng train_rng = data_rng.split(), test_rng = data_rng.split();
    Tensor train, test;
    toy_sample(Toy::gaussians8, train_rng, n_train, train);
    toy_sample(Toy::gaussians8, test_rng, n_test, test);

    std::printf("8gaussians, %d training points, %ld steps of Adam per method\n\n", n_train, steps);
    std::printf("%-10s %6s %10s %10s %10s %10s\n", "method", "step", "train NLL", "test NLL", "rev KL", "Jeffreys");

    Metrics final_metrics[2];
    const Method methods[2] = {Method::mle, Method::jeffreys};
    for (int k = 0; k < 2; k++) {
        // --- the method: everything else is its default -----------------------------------
        // (lr, betas, ε = kNN entropy of the data, σ₀ = 3 × RMS std are resolved from the data)
        FitConfig cfg;  // RealNVP with 8 couplings, batch 256, 256 model samples per step
        cfg.trainer.method = methods[k];

        // --- models: the same seed, so both methods start from the same flow ---------------
        Rng master(7);
        Rng init_rng = master.split(), batch_rng = master.split(), eval_rng = master.split(),
            proxy_rng = master.split();
        FitModels m;  // the flow, the proxy, and the trainer that steps them
        fit_init(m, cfg, train, init_rng, proxy_rng);
        if (k == 1)
            std::printf("%-10s eps %.3f (kNN entropy), sigma0 %.3f (3 x RMS std)\n", "", m.resolved.eps,
                        m.resolved.sigma0);

        // --- evaluation material, fixed once: test points with log π, base draws z ---------
        const Toy toy = Toy::gaussians8;  // its log-density is known: the KLs are exact in expectation
        EvalSet ev;
        eval_set_init(ev, test, &toy, n_rev, eval_rng);
        FlowCache cache;
        flow_cache_init(cache, m.flow, 1024);

        // --- the loop: fit() calls back at step 0, every log_every steps and at the end ----
        Metrics mt;
        auto on_log = [&](const FitLog& l) {
            evaluate(mt, m.flow, cache, train, ev);
            std::printf("%-10s %6ld %10.4f %10.4f %10.4f %10.4f\n", method_name(methods[k]), l.step, mt.train_nll,
                        mt.test_nll, mt.rev_kl, mt.jeffreys);
            return true;  // false would stop the run here
        };
        const FitEnd end = fit(m.trainer, train, batch_rng, FitSchedule{steps, log_every}, on_log);
        if (end.bad) {
            std::fprintf(stderr, "%s: step %ld: %s is not finite\n", method_name(methods[k]), end.bad_step, end.bad);
            return 3;
        }
        final_metrics[k] = mt;
    }

    // --- the comparison --------------------------------------------------------------------
    std::printf("\n%-10s %10s %10s\n", "final", "test NLL", "Jeffreys");
    for (int k = 0; k < 2; k++)
        std::printf("%-10s %10.4f %10.4f\n", method_name(methods[k]), final_metrics[k].test_nll,
                    final_metrics[k].jeffreys);
    const bool better = final_metrics[1].test_nll < final_metrics[0].test_nll &&
                        final_metrics[1].jeffreys < final_metrics[0].jeffreys;
    std::printf("(nats per point, lower is better: after %ld steps the adaptive method is %s on both.\n"
                " With 200 points MLE learns the sample itself as training goes on: its test NLL and\n"
                " Jeffreys divergence rise after a few hundred steps; the adaptive method's do not.)\n",
                steps, better ? "better" : "not yet better");
    return 0;
}
