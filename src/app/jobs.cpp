// jobs.cpp — the worker pool of the experiment runner (`compare` and `experiment`).
#include "app/jobs.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <mutex>
#include <numeric>
#include <thread>

#include "app/progress.h"
#include "tensor/error.h"

int run_jobs(std::vector<Job>& jobs, long jobs_n, long threads, bool quiet, RunResult (*train)(RunSettings)) {
    const long total = threads > 0 ? threads : (long)std::max(1u, std::thread::hardware_concurrency());
    const long workers = std::max(1L, std::min<long>(jobs_n, (long)jobs.size()));
    for (Job& j : jobs) j.s.threads = std::max(1L, total / workers), j.s.quiet = true;
    // dearest first (stable: equal costs keep the list's order), so that no long run
    // starts last while the other workers sit idle
    std::vector<size_t> order(jobs.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return jobs[a].cost > jobs[b].cost; });
    std::atomic<size_t> next{0};
    std::mutex print_mutex;
    size_t done = 0;
    int failures = 0;
    Progress progress;  // runs done of all, with an ETA once the rate is stable (app/progress.h)
    progress.unit = "run";
    progress.begin((long)jobs.size(), quiet);
    progress.observe(0, 0.0);  // the rate counts from the start: the first run's time is work too
    auto worker = [&]() {
        for (size_t k; (k = next++) < order.size();) {
            Job& j = jobs[order[k]];
            const auto t0 = std::chrono::steady_clock::now();
            try {
                j.r = train(j.s);
            } catch (const symkl::Error& e) {
                j.r.exit_code = 2;
                j.r.error = e.what();
            }
            j.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
            std::lock_guard<std::mutex> lock(print_mutex);
            done++;
            failures += j.r.exit_code != 0;
            progress.clear();
            if (j.r.exit_code)
                std::fprintf(stderr, "[%zu/%zu] %s: FAILED: %s\n", done, jobs.size(), j.label.c_str(), j.r.error.c_str());
            else if (!quiet) {
                char what[160];
                if (j.r.n_val > 0 && j.r.selected_step != j.r.steps_done)  // validation chose an earlier step
                    std::snprintf(what, sizeof what, "test NLL %.6g (selected, step %ld; last %.6g)", j.r.selected.test_nll,
                                  j.r.selected_step, j.r.last.test_nll);
                else
                    std::snprintf(what, sizeof what, "test NLL %.6g", j.r.selected.test_nll);
                std::string jef;
                if (std::isfinite(j.r.selected.jeffreys)) jef = ", Jeffreys " + std::to_string(j.r.selected.jeffreys);
                std::fprintf(stderr, "[%zu/%zu] %s: %s%s (%.0f s)\n", done, jobs.size(), j.label.c_str(), what, jef.c_str(),
                             j.seconds);
            }
            if (done < jobs.size()) progress.update((long)done, "");
        }
    };
    std::vector<std::thread> pool;
    for (long w = 0; w < workers; w++) pool.emplace_back(worker);
    for (std::thread& th : pool) th.join();
    progress.clear();
    if (!quiet) std::fprintf(stderr, "%s\n", progress.done_line(progress.elapsed()).c_str());
    return failures;
}

Stats stats_of(std::vector<double> v) {
    v.erase(std::remove_if(v.begin(), v.end(), [](double x) { return std::isnan(x); }), v.end());
    Stats st;
    if (v.empty()) {
        st.med = st.lo = st.hi = NAN;
        return st;
    }
    std::sort(v.begin(), v.end());
    const size_t n = v.size();
    st.med = n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
    st.lo = v.front(), st.hi = v.back();
    return st;
}

std::string stats_text(const Stats& st, int decimals) {
    char b[96];
    std::snprintf(b, sizeof b, "%.*f [%.*f, %.*f]", decimals, st.med, decimals, st.lo, decimals, st.hi);
    return b;
}

bool set_method(const std::string& name, RunSettings& s) {
    std::string m = name, p;
    const size_t dash = name.find('-');
    if (dash != std::string::npos) m = name.substr(0, dash), p = name.substr(dash + 1);
    if (!method_from_name(m, &s.trainer.method)) return false;
    const bool with_proxy = s.trainer.method == Method::jeffreys || s.trainer.method == Method::penalty;
    if (!with_proxy) return p.empty();
    return proxy_kind_from_name(p.empty() ? "ebm" : p, &s.proxy_kind);
}
