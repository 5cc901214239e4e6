// select.cpp — validation split, best-step bookkeeping and early stopping.
#include "train/select.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

#include "tensor/error.h"

ValSplit validation_split(const Tensor& rows, double frac, Rng& rng) {
    if (!(frac >= 0 && frac < 1))
        throw symkl::Error("validation_split: the fraction must be in [0, 1), got " + std::to_string(frac));
    const int n = rows.rows, D = rows.cols;
    int n_val = (int)std::lround(frac * n);
    if (frac > 0 && n_val < 1) n_val = 1;
    if (n - n_val < 2)
        throw symkl::Error("holding out " + std::to_string(n_val) + " of " + std::to_string(n) +
                           " training rows for validation leaves fewer than 2 to fit (lower --val-frac or add rows)");
    ValSplit v;
    // the first n_val places of a Fisher–Yates shuffle choose the validation rows
    std::vector<int> order((size_t)n);
    for (int i = 0; i < n; i++) order[(size_t)i] = i;
    for (int i = 0; i < n_val; i++) std::swap(order[(size_t)i], order[(size_t)(i + (int)rng.below((uint64_t)(n - i)))]);
    std::vector<char> held((size_t)n, 0);
    v.val.resize(n_val, D);
    for (int i = 0; i < n_val; i++) {
        held[(size_t)order[(size_t)i]] = 1;
        std::memcpy(v.val.row(i), rows.row(order[(size_t)i]), sizeof(Real) * (size_t)D);
    }
    v.fit.resize(n - n_val, D);
    for (int i = 0, k = 0; i < n; i++)
        if (!held[(size_t)i]) std::memcpy(v.fit.row(k++), rows.row(i), sizeof(Real) * (size_t)D);
    return v;
}

void select_init(Selection& s, const SelectConfig& cfg, const FitModels& m, const Tensor& val) {
    if (cfg.every < 1 || cfg.patience < 0)
        throw symkl::Error("model selection: validate every at least 1 step with patience at least 0, got " +
                           std::to_string(cfg.every) + " and " + std::to_string(cfg.patience));
    if (val.rows < 1) throw symkl::Error("model selection needs at least one validation row");
    s = Selection{};
    s.cfg = cfg;
    s.val = &val;
    flow_cache_init(s.cache, m.flow, 1024);
}

double select_validate(Selection& s, const FitModels& m, long step) {
    const double nll = mean_nll(m.flow, s.cache, *s.val, s.scratch);
    s.validations++;
    s.improved = std::isfinite(nll) && nll < s.best_nll;
    if (s.improved) {
        s.best_nll = nll, s.best_step = step, s.since_best = 0;
        s.best_flow = m.flow.params.value;
        if (uses_proxy(m.cfg.trainer.method)) s.best_proxy = m.proxy.params().value;
    } else {
        s.since_best++;
    }
    return nll;
}

bool select_stop(const Selection& s) { return s.cfg.patience > 0 && s.since_best >= s.cfg.patience; }

void select_restore(FitModels& m, const Selection& s) {
    if (s.best_step < 0) return;
    // copied into the buffers in place: the layers' views point into them
    std::copy(s.best_flow.begin(), s.best_flow.end(), m.flow.params.value.begin());
    if (!s.best_proxy.empty()) std::copy(s.best_proxy.begin(), s.best_proxy.end(), m.proxy.params().value.begin());
}

FitEnd fit_select(FitModels& m, const Tensor& train, Selection& sel, Rng& batch_rng, const FitSchedule& sched,
                  const std::function<bool(const FitLog&)>& on_log,
                  const std::function<void(long step, const StepResult&)>& on_step) {
    FitSchedule s = sched;
    s.val_every = sel.cfg.every;
    bool stop = false;
    FitEnd end = fit(m.trainer, train, batch_rng, s, [&](const FitLog& l) {
        FitLog log = l;
        if (log.validated) {
            log.val_nll = select_validate(sel, m, log.step);
            stop = select_stop(sel);
        }
        if (!on_log(log)) return false;
        return !stop;
    }, on_step);
    if (stop && end.stopped) end.stopped = false, end.early_stopped = true;
    return end;
}
