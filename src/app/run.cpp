// run.cpp — a training run with its files: model.safetensors, proxy.safetensors,
// metrics.csv and config.json, rewritten atomically at every logged step.
#include "app/run.h"

#include <cmath>
#include <cstdio>
#include <dirent.h>
#include <sys/stat.h>

#include "app/data_prep.h"
#include "app/files.h"
#include "app/progress.h"
#include "app/resume.h"
#include "io/text.h"
#include "io/checkpoint.h"
#include "io/csv.h"
#include "io/file.h"
#include "io/json.h"
#include "io/safetensors.h"
#include "plot/figures.h"
#include "plot/metrics_file.h"
#include "tensor/error.h"
#include "train/select.h"

std::string default_out(const RunSettings& s) {
    std::string name = s.data.data.substr(s.data.data.find_last_of('/') + 1);
    if (!is_toy_name(s.data.data) && is_toy_name(name)) name += ".csv";  // a file "moons" is not the generator
    return "runs/" + name + "-" + method_name(s.trainer.method) + "-seed" + std::to_string(s.seed);
}

// "moons · jeffreys-ebm": the data set (a CSV file's name) and the method, for figure titles
std::string figure_subject(const RunSettings& s) {
    std::string m = method_name(s.trainer.method);
    if (uses_proxy(s.trainer.method)) m += std::string("-") + proxy_kind_name(s.proxy_kind);
    return s.data.data.substr(s.data.data.find_last_of('/') + 1) + " · " + m;
}

bool is_run_file(const std::string& name) {
    static const char* const FILES[] = {"config.json", "metrics.csv", "proxy.safetensors", "proxy-last.safetensors",
                                        "density.png", "samples.svg", "pairs.svg",         "nll.svg",
                                        "kl.svg",      "lambda.svg",  "state.safetensors"};
    for (const char* f : FILES)
        if (name == f) return true;
    const std::string m = "model", ext = ".safetensors";
    return name.size() >= m.size() + ext.size() && name.compare(0, m.size(), m) == 0 &&
           name.compare(name.size() - ext.size(), ext.size(), ext) == 0;
}

static std::vector<std::string> run_files(const std::string& dir) {
    std::vector<std::string> names;
    DIR* d = opendir(dir.c_str());
    if (!d) return names;
    while (const dirent* e = readdir(d))
        if (is_run_file(e->d_name)) names.push_back(e->d_name);
    closedir(d);
    return names;
}

void remove_run_files(const std::string& dir) {
    for (const std::string& f : run_files(dir))
        if (std::remove((dir + "/" + f).c_str()) != 0)
            throw symkl::Error("cannot remove '" + dir + "/" + f + "' of an earlier run (is the directory writable?)");
}

void check_out_dir(const std::string& dir, const Json& cfg, bool force) {
    const std::vector<std::string> files = run_files(dir);
    if (files.empty() || force) return;
    const std::string fix = "; pass --force to replace its files, or choose another --out";
    std::string why;
    try {
        auto items = [](const Json& j) {
            auto v = config_items(j);
            for (size_t i = 0; i < v.size(); i++)
                if (v[i].first == "threads") v.erase(v.begin() + (long)i--);  // results do not depend on it
            return v;
        };
        const auto old = items(json_parse(read_file(dir + "/config.json"), dir + "/config.json"));
        const auto now = items(cfg);
        for (size_t i = 0; i < old.size() || i < now.size(); i++) {
            if (i < old.size() && i < now.size() && old[i] == now[i]) continue;
            if (i < old.size() && i < now.size() && old[i].first == now[i].first)
                why = "'" + now[i].first + "' is " + old[i].second + " there, " + now[i].second + " here";
            else why = "'" + (i < old.size() ? old[i].first : now[i].first) + "' is set in one run only";
            break;
        }
        if (why.empty()) return;  // the same run again
    } catch (const symkl::Error&) {
        why = "its files (" + files.front() + (files.size() > 1 ? ", ..." : "") + ") have no readable config.json";
    }
    throw symkl::Error("--out '" + dir + "' holds another run (" + why + ")" + fix);
}

// Training settings recorded next to the weights (not the thread count: the file
// must not depend on it).
// The data path goes with the models (docs/checkpoint.md): the standardisation map they act
// through, the training CSV's column names, the columns that were dequantised.
static Metadata training_metadata(const RunSettings& s, const Dataset& d, const DataPrep& prep, long step) {
    Metadata m = {{"role", "main"},
                  {"data", s.data.data},
                  {"method", method_name(s.trainer.method)},
                  {"n_train", std::to_string(d.train.rows)},
                  {"seed", std::to_string(s.seed)},
                  {"step", std::to_string(step)}};
    for (const auto& kv : standardizer_metadata(prep.standardizer)) m.push_back(kv);
    for (const auto& kv : columns_metadata(d.columns)) m.push_back(kv);
    for (const auto& kv : dequantized_metadata(prep.dequantized)) m.push_back(kv);
    return m;
}

static const char* METRICS_HEADER =
    "step,loss,train_nll,test_nll,fwd_kl,rev_kl,jeffreys,grad_norm,lambda,u,proxy_nll,rev_kl_proxy,ess,"
    "critic_loss,wasserstein_estimate,gp,skipped,val_nll\n";

static std::string metrics_row(const FitLog& l, const Metrics& m, double lambda, double u) {
    std::string r = std::to_string(l.step);
    for (double v : {l.loss, m.train_nll, m.test_nll, m.fwd_kl, m.rev_kl, m.jeffreys, l.grad_norm, lambda, u, l.G, l.R,
                     l.ess, l.critic_loss, l.wasserstein, l.gp})
        r += "," + csv_format(v);
    return r + "," + std::to_string(l.skipped) + "," + csv_format(l.val_nll) + "\n";
}

// Holds the validation rows (--val-frac of the training rows) out of d.train, which then
// holds the rows trained on; the defaults of the method are computed from those. Its own
// stream of the seed, so the other streams (and runs without validation) are unchanged.
static Tensor hold_out_validation(const RunSettings& s, Dataset& d) {
    const double frac = resolved_val_frac(s);
    if (frac == 0) return Tensor();
    Rng rng(s.seed ^ 0x7a1d5e1ec7ULL);
    try {
        ValSplit v = validation_split(d.train, frac, rng);
        d.train = std::move(v.fit);
        return std::move(v.val);
    } catch (const symkl::Error& e) {
        throw symkl::Error("--data '" + excerpt(s.data.data) + "': " + e.what());
    }
}

// config.json of a run, checked against --out, which is then emptied of an earlier run's files.
static void prepare_out(const RunSettings& s, const std::string& config) {
    check_out_dir(s.out, json_parse(config, "config.json"), s.force);
    make_dirs(s.out);
    remove_run_files(s.out);
}

// The Gaussian of the rows with shrinkage alpha; false when it is not positive definite.
static bool gaussian_from_moments_of(Gaussian& g, const Tensor& x, double alpha) {
    std::vector<double> mean, S;
    gaussian_moments(x, mean, S);
    return gaussian_from_moments(g, mean, S, alpha);
}

// gaussian and kde (src/baseline/): the hyperparameter chosen on the validation rows (or by
// K-fold cross-validation on the training rows without them), the model fitted on the
// training rows with it; metrics.csv has one row per grid value.
static RunResult run_baseline(const RunSettings& s, const Dataset& d, const Tensor& val, const DataPrep& prep,
                              const RunFacts& facts) {
    const bool gauss = s.trainer.method == Method::gaussian;
    RunResult res;
    res.n_val = val.rows;
    res.has_test = d.test.rows > 0;
    res.param = gauss ? "alpha" : "h";
    GridChoice c;
    try {
        c = gauss ? gaussian_select(d.train, val, gaussian_alpha_grid()) : kde_select(d.train, val, kde_h_grid());
    } catch (const symkl::Error& e) {
        throw symkl::Error("--data '" + excerpt(s.data.data) + "': " + method_name(s.trainer.method) + ": " + e.what());
    }
    const std::string config = json_write(settings_json(s, facts), JsonStyle::Pretty) + "\n";
    prepare_out(s, config);
    std::vector<double> logpi;
    const bool has_fwd = d.is_toy && toy_has_density(d.toy);
    double mean_logpi = 0;
    if (has_fwd) {
        logpi.resize((size_t)d.test.rows);
        toy_log_density(d.toy, d.test, logpi.data());
        for (double v : logpi) mean_logpi += v / d.test.rows;
    }
    std::string metrics = res.param + ",train_nll,val_nll,test_nll,fwd_kl,selected\n";
    Gaussian g;
    KDE k;
    for (size_t i = 0; i < c.points.size(); i++) {
        const GridPoint& p = c.points[i];
        Metrics mt;
        mt.train_nll = p.train_nll;
        mt.test_nll = d.test.rows ? INFINITY : NAN;  // --test-frac 0: no test rows
        mt.fwd_kl = mt.rev_kl = mt.jeffreys = NAN;
        if (d.test.rows && gauss && gaussian_from_moments_of(g, d.train, p.value)) mt.test_nll = gaussian_nll(g, d.test);
        if (d.test.rows && !gauss) kde_fit(k, d.train, p.value), mt.test_nll = kde_nll(k, d.test);
        if (has_fwd) mt.fwd_kl = mean_logpi + mt.test_nll;
        metrics += csv_format(p.value) + "," + csv_format(p.train_nll) + "," + csv_format(p.val_nll) + "," +
                   csv_format(mt.test_nll) + "," + csv_format(mt.fwd_kl) + "," + (i == c.best ? "1" : "0") + "\n";
        if (i == c.best) res.selected = res.last = res.best = mt, res.selected_val_nll = p.val_nll;
    }
    res.param_value = c.points[c.best].value;
    res.cross_validated = c.cross_validated;
    Metadata meta = {{"role", "main"},
                     {"data", s.data.data},
                     {"method", method_name(s.trainer.method)},
                     {"n_train", std::to_string(d.train.rows)},
                     {"seed", std::to_string(s.seed)}};
    for (const auto& kv : columns_metadata(d.columns)) meta.push_back(kv);
    for (const auto& kv : dequantized_metadata(prep.dequantized)) meta.push_back(kv);
    if (gauss) {
        gaussian_fit(g, d.train, res.param_value);
        save_gaussian(s.out + "/model.safetensors", g, meta);
    } else {
        kde_fit(k, d.train, res.param_value);
        save_kde(s.out + "/model.safetensors", k, meta);
    }
    write_file_atomic(s.out + "/metrics.csv", metrics);
    write_file_atomic(s.out + "/config.json", config);
    return res;
}

// The defaults of the method, with the command line's words for what went wrong.
static Resolved resolve(const RunSettings& s, const Dataset& d) {
    try {
        return resolve_defaults(s, d.train);
    } catch (const symkl::Error& e) {
        std::string fix;
        if (uses_proxy(s.trainer.method) && s.proxy_kind == ProxyKind::ebm && !s.sigma0) fix += "give --ebm-sigma0 S";
        if (uses_proxy(s.trainer.method) && !s.eps) fix += std::string(fix.empty() ? "give" : " and") + " --eps E";
        throw symkl::Error("--data '" + excerpt(s.data.data) + "': " + e.what() + "; " + fix + " or use different data");
    }
}

// --resume: the saved state of the run in s.out, checked against this run (app/resume.h):
// its files intact, the same settings but --steps and --threads, the same data, and steps left.
static RunState resume_check(const RunSettings& s, const std::string& path, const FitModels& m, bool validate,
                             const Json& config, uint32_t data_crc) {
    const std::string who = "--resume '" + s.out + "': ", again = "; start it again: symkl train --out " + s.out + " --force";
    struct stat sb;
    if (stat(path.c_str(), &sb) != 0)
        throw symkl::Error(who + "no state.safetensors there (a run of an older symkl, or not a run directory)" + again);
    RunState st;
    std::vector<std::pair<std::string, std::string>> was;
    try {
        st = load_run_state(path, m, validate);
        was = config_items(json_parse(st.config, path + " (config)"));
    } catch (const symkl::Error& e) {
        throw symkl::Error(who + "its saved state cannot be used (" + e.what() + ")" + again);
    }
    auto other = [](const std::string& k) { return k == "steps" || k == "threads"; };
    const auto now = config_items(config);
    for (size_t i = 0, j = 0; i < was.size() || j < now.size(); i++, j++) {
        while (i < was.size() && other(was[i].first)) i++;
        while (j < now.size() && other(now[j].first)) j++;
        if (i >= was.size() && j >= now.size()) break;
        if (i < was.size() && j < now.size() && was[i] == now[j]) continue;
        const std::string why = i < was.size() && j < now.size() && was[i].first == now[j].first
                                    ? "'" + now[j].first + "' is " + was[i].second + " in its saved state, " + now[j].second + " here"
                                    : "'" + (i < was.size() ? was[i].first : now[j].first) + "' is set in one of them only";
        throw symkl::Error(who + "the settings differ from the run's (" + why +
                           "); a resumed run takes only --steps, --threads and --quiet");
    }
    if (st.data_crc != data_crc)
        throw symkl::Error(who + "the data differ from those the run trained on (was '" + s.data.data + "' changed?)" + again);
    if (st.status == "early_stopped")
        throw symkl::Error(who + "the run stopped early at step " + std::to_string(st.ended_at) + " (--patience " +
                           std::to_string(s.patience) + "): a longer run stops there too; it is complete");
    if (st.status == "nonfinite")
        throw symkl::Error(who + "the run stopped at step " + std::to_string(st.ended_at) +
                           " on a non-finite value: a longer run stops there too; train again with other settings");
    if (s.steps <= st.cursor.step)
        throw symkl::Error(who + "the run has taken " + std::to_string(st.cursor.step) +
                           " steps; give --steps N with N greater than " + std::to_string(st.cursor.step) +
                           " to continue it");
    std::string metrics;
    try {
        metrics = read_file(s.out + "/metrics.csv");
    } catch (const symkl::Error&) {
    }
    if (metrics.size() < st.metrics_bytes || crc32c(metrics.data(), (size_t)st.metrics_bytes) != st.metrics_crc)
        throw symkl::Error(who + "metrics.csv is not the file its state was saved with (edited or replaced?)" + again);
    return st;
}

RunResult run_training(RunSettings s) {
    set_threads(s.threads);
    RunResult res;
    Dataset d = load_dataset(s.data, s.seed, "symkl train");
    const long n_rows = d.train.rows;  // before the validation rows are held out
    res.has_test = d.test.rows > 0;
    Tensor val = hold_out_validation(s, d);
    const DataPrep prep = prepare_data(d, val, s);  // --dequantize, --standardize (app/data_prep.h)
    const bool validate = val.rows > 0;
    const int D = d.train.cols;
    const Method method = s.trainer.method;
    const bool with_proxy = uses_proxy(method);

    Rng master(s.seed);
    Rng init_rng = master.split(), batch_rng = master.split(), eval_rng = master.split(), proxy_rng = master.split();
    RunFacts facts;
    facts.n_train = n_rows, facts.n_test = d.test.rows, facts.dim = D;
    facts.val_frac = resolved_val_frac(s), facts.val_every = resolved_val_every(s);
    if (is_baseline(method) && s.resume)
        throw symkl::Error("--resume '" + s.out + "': " + method_name(method) + " is a baseline: it has no steps to continue");
    if (is_baseline(method)) return run_baseline(s, d, val, prep, facts);
    facts.resolved = res.resolved = resolve(s, d);
    res.eps = facts.resolved.eps, res.sigma0 = facts.resolved.sigma0;
    res.dim = D, res.dequantized = (int)prep.dequantized.size(), res.standardized = !prep.standardizer.empty();
    FitModels m;
    fit_init(m, s, facts.resolved, d.train, init_rng, proxy_rng);
    Proxy& proxy = m.proxy;
    Trainer& t = m.trainer;

    FlowCache eval_cache;
    flow_cache_init(eval_cache, m.flow, 1024);
    EBMCache eval_ebm;
    if (with_proxy && proxy.kind == ProxyKind::ebm) ebm_cache_init(eval_ebm, proxy.ebm, 1024);
    EvalSet ev;
    eval_set_init(ev, d.test, d.is_toy ? &d.toy : nullptr, (int)s.n_eval, eval_rng, &prep.standardizer);
    Tensor z_logz((int)s.n_eval, D);  // base draws for the EBM's log Z in checkpoints
    for (Real& v : z_logz.data) v = (Real)eval_rng.normal();

    // Nothing is written before here: bad input leaves no directory behind.
    const Json config_json = settings_json(s, facts);
    const std::string config = json_write(config_json, JsonStyle::Pretty) + "\n";
    const std::string state_path = s.out + "/state.safetensors";
    const uint32_t data_crc = rows_crc(val, rows_crc(d.test, rows_crc(d.train, 0)));
    RunState saved;
    if (s.resume) saved = resume_check(s, state_path, m, validate, config_json, data_crc);
    else prepare_out(s, config);
    const std::string metrics_path = s.out + "/metrics.csv", model_path = s.out + "/model.safetensors",
                      proxy_path = s.out + "/proxy.safetensors";
    // With validation rows: every log rewrites the -last files, and a new lowest validation
    // NLL the selected pair model.safetensors and proxy.safetensors.
    const std::string last_model = s.out + "/model-last.safetensors", last_proxy = s.out + "/proxy-last.safetensors";
    Selection sel;
    if (validate) select_init(sel, SelectConfig{facts.val_every, s.patience}, m, val);
    res.n_val = val.rows;
    std::string metrics = METRICS_HEADER;
    RunState snap;  // the state at the latest log, before it was taken (app/resume.h)
    snap.config = json_write(config_json, JsonStyle::Compact), snap.data_crc = data_crc;

    Progress progress;
    progress.begin(s.steps, s.quiet);
    long last_good = -1;
    res.best.test_nll = INFINITY;
    // The selected models (model.safetensors, proxy.safetensors) and, with validation rows,
    // the last ones (the -last files), as at `step`.
    auto save_models = [&](long step, bool selected, bool last) {
        if (last) save_flow(last_model, m.flow, training_metadata(s, d, prep, step));
        if (selected) save_flow(model_path, m.flow, training_metadata(s, d, prep, step));
        if (with_proxy) {
            Metadata meta = training_metadata(s, d, prep, step);
            meta[0].second = "proxy";
            if (proxy.kind == ProxyKind::flow) {
                if (last) save_flow(last_proxy, proxy.flow, meta);
                if (selected) save_flow(proxy_path, proxy.flow, meta);
            } else {
                const LogZ lz = ebm_log_z(proxy.ebm, eval_ebm, m.flow, eval_cache, z_logz);
                meta.push_back({"log_z", csv_format(lz.log_z)});
                meta.push_back({"log_z_ess", csv_format(lz.ess)});
                meta.push_back({"log_z_samples", std::to_string(z_logz.rows)});
                if (std::isfinite(lz.log_z) && last) save_ebm(last_proxy, proxy.ebm, meta);
                if (std::isfinite(lz.log_z) && selected) save_ebm(proxy_path, proxy.ebm, meta);
            }
        }
    };
    if (s.resume) {
        // Back to the state of the saved log. The selected models are written again as they
        // were at the selected step: the shorter run's last validation may have replaced them.
        metrics = read_file(metrics_path).substr(0, saved.metrics_bytes);
        res.best = saved.lowest, res.best_step = saved.lowest_step;
        res.selected = saved.selected, res.selected_step = saved.selected_step;
        res.selected_val_nll = saved.selected_val_nll;
        last_good = saved.last_good;
        state_restore(saved, m, validate ? &sel : nullptr, batch_rng);
        if (validate && sel.best_step >= 0) {
            select_restore(m, sel);
            save_models(sel.best_step, true, false);
            state_restore(saved, m, &sel, batch_rng);
        } else if (validate) {
            std::remove(model_path.c_str()), std::remove(proxy_path.c_str());
        }
        write_file_atomic(s.out + "/config.json", config);  // with the new --steps
        snap = saved;
    }
    auto before_log = [&](const FitCursor& c) {
        state_capture(snap, m, validate ? &sel : nullptr, batch_rng, c);
        snap.lowest = res.best, snap.lowest_step = res.best_step;
        snap.selected = res.selected, snap.selected_step = res.selected_step;
        snap.selected_val_nll = res.selected_val_nll, snap.last_good = last_good;
        snap.metrics_bytes = metrics.size(), snap.metrics_crc = crc32c(metrics.data(), metrics.size());
    };
    // At every log: the models first, then metrics.csv, then (once) config.json, so a
    // run that fails to write (a full disk) never leaves a config without its model.
    bool state_warned = false;
    auto on_log = [&](const FitLog& l) {
        Metrics mt;
        evaluate(mt, m.flow, eval_cache, d.train, ev);
        const bool best = validate && l.validated && sel.improved;
        save_models(l.step, !validate || best, validate);
        FitLog lg = l;  // the minibatch NLL in the data's units, as train_nll and test_nll
        if (!prep.standardizer.empty()) lg.loss += prep.log_det, lg.val_nll += prep.log_det;
        metrics += metrics_row(lg, mt, with_proxy ? t.lambda : NAN, method == Method::jeffreys ? t.u : NAN);
        write_file_atomic(metrics_path, metrics);
        if (last_good < 0) write_file_atomic(s.out + "/config.json", config);
        if (!save_run_state(state_path, snap) && !state_warned) {
            std::fprintf(stderr,
                         "symkl: warning: the optimiser state is not finite at step %ld (training is diverging): "
                         "state.safetensors keeps the last finite one, and --resume replays from there\n",
                         l.step);
            state_warned = true;
        }
        last_good = l.step;
        res.last = mt;
        if (mt.test_nll < res.best.test_nll) res.best = mt, res.best_step = l.step;
        if (!validate) res.selected = mt, res.selected_step = l.step;
        if (best) res.selected = mt, res.selected_step = l.step, res.selected_val_nll = lg.val_nll;
        return true;
    };
    auto on_step = [&](long step, const StepResult& r) {
        char text[96];
        if (method == Method::wgan)
            std::snprintf(text, sizeof text, "critic %.3f  W %.3f  gp %.3f", r.critic_loss, r.wasserstein, r.gp);
        else if (with_proxy) std::snprintf(text, sizeof text, "F %.3f  G %.3f  lambda %.3f", r.F, r.G, t.lambda);
        else std::snprintf(text, sizeof text, "loss %.4f", r.F);
        progress.update(step, s.label + text);
    };
    FitSchedule sched{s.steps, s.log_every, s.skip_nonfinite};
    sched.before_log = before_log;
    if (s.resume) sched.start = &saved.cursor;
    const FitEnd end = validate ? fit_select(m, d.train, sel, batch_rng, sched, on_log, on_step)
                                : fit(t, d.train, batch_rng, sched, on_log, on_step);
    progress.end();
    if (end.bad || (end.early_stopped && end.steps < s.steps)) {  // a longer run ends here too
        snap.status = end.bad ? "nonfinite" : "early_stopped";
        snap.ended_at = end.bad ? end.bad_step : end.steps;
        save_run_state(state_path, snap);
    }
    res.skipped = end.skipped;
    res.steps_done = end.steps, res.early_stopped = end.early_stopped;
    if (end.bad) {
        char buf[512];
        std::snprintf(buf, sizeof buf,
                      "training stopped at step %ld: %s is not finite; %s holds the last good model (step %ld); "
                      "try a smaller --lr, --clip 10, or --on-nonfinite skip",
                      end.bad_step, end.bad, (validate ? last_model : model_path).c_str(), last_good);
        res.error = buf;
        res.exit_code = 3;
    }
    res.lambda = with_proxy ? t.lambda : NAN;
    res.u = t.u;
    if (validate) select_restore(m, sel);  // the figures show the selected model
    // Figures (docs/figures.md). Their own stream, split after the others, so drawing
    // them changes no number of the run; a failure to draw is a warning, not an error.
    if (s.figures) {
        Rng plot_rng = master.split();
        const std::string subject = figure_subject(s);
        try {
            if (D == 2 && res.exit_code == 0) {
                density_heatmap(s.out + "/density.png", m.flow, d.train, 256, 256, Colormap::blue_yellow, subject);
                samples_scatter(s.out + "/samples.svg", m.flow, d.train, 2000, plot_rng, subject);
            }
            if (D > 2 && res.exit_code == 0) pairs_plot(s.out + "/pairs.svg", m.flow, d.train, 2000, plot_rng, subject);
            learning_curves(s.out, {RunGroup{"", {read_metrics(metrics_path)}}}, subject);
        } catch (const symkl::Error& e) {
            std::fprintf(stderr, "symkl: warning: figures not drawn: %s\n", e.what());
        }
    }
    return res;
}

void print_metrics(const char* label, const Metrics& m, bool test) {
    // 6 significant digits: KLs near 0 keep theirs (metrics.csv has every digit)
    if (!test) std::printf("%-18s train NLL %.6g", label, m.train_nll);
    else std::printf("%-18s train NLL %-8.6g   test NLL %.6g", label, m.train_nll, m.test_nll);
    if (std::isfinite(m.fwd_kl)) std::printf("   fwd KL %.6g", m.fwd_kl);
    if (std::isfinite(m.rev_kl)) std::printf("   rev KL %.6g   Jeffreys %.6g", m.rev_kl, m.jeffreys);
    std::printf("\n");
}
