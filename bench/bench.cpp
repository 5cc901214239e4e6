// bench.cpp — `make bench`: the median wall time of one MLE training step
// (minibatch forward, backward and Adam update) at two scales. It measures speed
// only; the tests never assert timings.
//
//   symkl_bench [--repeats N] [--small-only] [--threads T]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "flow/flow.h"
#include "train/train.h"

#ifdef _OPENMP
#include <omp.h>
#endif

struct Scale_ {
    const char* name;
    int D, K, H, L, B;
};

static double bench_mle(const Scale_& s, int repeats) {
    FlowConfig cfg;
    cfg.dim = s.D, cfg.layers = s.K, cfg.hidden = s.H, cfg.depth = s.L;
    Flow flow;
    flow_build(flow, cfg);
    Rng rng(1);
    flow_init(flow, rng);
    Tensor train(4096, s.D);
    for (Real& v : train.data) v = (Real)rng.normal();
    TrainerConfig tc;
    tc.method = Method::mle;
    tc.batch = s.B;
    Trainer t;
    trainer_init(t, tc, flow, nullptr);
    train_step(t, train, rng);  // warm-up: first touch of every buffer
    std::vector<double> ms;
    for (int r = 0; r < repeats; r++) {
        const auto t0 = std::chrono::steady_clock::now();
        train_step(t, train, rng);
        ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    }
    std::sort(ms.begin(), ms.end());
    return ms[ms.size() / 2];
}

int main(int argc, char** argv) {
    int repeats = 5;
    bool small_only = false;
    for (int i = 1; i < argc; i++) {
        if (!std::strcmp(argv[i], "--repeats") && i + 1 < argc) repeats = std::max(1, std::atoi(argv[++i]));
        else if (!std::strcmp(argv[i], "--small-only")) small_only = true;
#ifdef _OPENMP
        else if (!std::strcmp(argv[i], "--threads") && i + 1 < argc) omp_set_num_threads(std::atoi(argv[++i]));
#endif
        else {
            std::fprintf(stderr, "usage: symkl_bench [--repeats N] [--small-only] [--threads T]\n");
            return 2;
        }
    }
    int threads = 1;
#ifdef _OPENMP
    threads = omp_get_max_threads();
#endif
    std::printf("symkl bench: Real = %s, %d thread(s), median of %d steps after one warm-up\n", SYMKL_REAL_NAME,
                threads, repeats);
    std::printf("%-8s %4s %3s %5s %3s %6s %14s\n", "scale", "D", "K", "H", "L", "batch", "MLE step (ms)");
    const Scale_ scales[] = {{"small", 2, 8, 64, 2, 256}, {"large", 16, 8, 512, 2, 4096}};
    for (const Scale_& s : scales) {
        if (small_only && s.D > 2) continue;
        const double ms = bench_mle(s, repeats);
        std::printf("%-8s %4d %3d %5d %3d %6d %14.2f\n", s.name, s.D, s.K, s.H, s.L, s.B, ms);
        std::fflush(stdout);
    }
    return 0;
}
