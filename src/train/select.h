// select.h — validation rows and model selection around fit(): hold out some training
// rows, compute their NLL every few steps, keep the parameters of the best step, and stop
// when the validation NLL has not improved for a while (early stopping).
//
//   ValSplit v = validation_split(train, 0.1, rng);           // fit rows and validation rows
//   FitModels m;  fit_init(m, cfg, v.fit, init_rng, proxy_rng); // defaults from the fit rows
//   Selection sel;  select_init(sel, SelectConfig{100, 20}, m, v.val);
//   fit_select(m, v.fit, sel, batch_rng, sched, on_log);       // log.val_nll at validations
//   select_restore(m, sel);                                     // the best-validation models
//
// The selected step is the first with the lowest validation NLL (strictly lower than every
// earlier one); a NaN or infinite validation NLL never improves. The test set plays no part.
#pragma once
#include <vector>

#include "train/fit.h"

struct ValSplit {
    Tensor fit;  // the rows that train (the others, in their original order)
    Tensor val;  // the held-out validation rows (0 rows when frac is 0)
};

// Holds out round(frac · rows) of the rows (at least 1 when frac > 0), chosen uniformly
// with rng (a partial Fisher–Yates shuffle of the indices). frac in [0, 1). Throws
// symkl::Error when fewer than 2 rows would be left to fit.
ValSplit validation_split(const Tensor& rows, double frac, Rng& rng);

struct SelectConfig {
    long every = 100;    // steps between validations (also at step 0 and after the last step)
    long patience = 20;  // stop after this many validations without improvement; 0 = never
};

struct Selection {
    SelectConfig cfg;
    const Tensor* val = nullptr;   // the validation rows (not owned)
    FlowCache cache;               // for the validation NLL
    std::vector<Real> scratch;
    long best_step = -1;           // -1 until the first validation
    double best_nll = INFINITY;    // the lowest validation NLL so far
    long since_best = 0;           // validations since the best one
    long validations = 0;
    bool improved = false;         // the last validation set a new best
    std::vector<Real> best_flow, best_proxy;  // the parameters at best_step
};

// Checks the configuration (every ≥ 1, patience ≥ 0, at least one validation row) and
// sizes the cache for m's flow.
void select_init(Selection& s, const SelectConfig& cfg, const FitModels& m, const Tensor& val);
// The validation NLL of m's flow at `step`; when it is a new best, copies the flow's (and
// the proxy's) parameters. Returns the NLL.
double select_validate(Selection& s, const FitModels& m, long step);
// True when patience > 0 and `patience` validations in a row have not improved.
bool select_stop(const Selection& s);
// Puts the best parameters back into m's flow and proxy (no-op before any validation).
void select_restore(FitModels& m, const Selection& s);

// fit() on m's trainer with validation: on_log is also called at every validation step
// (multiples of sel.cfg.every, and after the last step), with log.validated set and
// log.val_nll the validation NLL (sel.improved says whether it is a new best). Stops early
// (FitEnd::early_stopped) when select_stop says so. The models are left as they are at
// the end; select_restore gives the selected ones.
FitEnd fit_select(FitModels& m, const Tensor& train, Selection& sel, Rng& batch_rng, const FitSchedule& sched,
                  const std::function<bool(const FitLog&)>& on_log,
                  const std::function<void(long step, const StepResult&)>& on_step = nullptr);
