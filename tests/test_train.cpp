// test_train.cpp — train_step's bookkeeping: the slack and dual updates against the
// formulas of docs/method.md §5 worked by hand, α = ∞, the fixed-weight penalty, and
// the all-or-nothing rule for non-finite terms (docs/method.md §6): a step with a
// non-finite term names it and leaves θ, ψ, the critic, u, λ, log Ẑ and every Adam
// state exactly as they were.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <limits>
#include <string>

#include "train/train.h"

namespace {

// A small problem: a 2-D flow, an EBM (or flow) proxy or a critic, 40 training points.
struct Setup {
    Flow flow;
    Proxy proxy;
    Critic critic;
    Trainer t;
    Tensor train;
};

TrainerConfig small_config(Method m) {
    TrainerConfig cfg;
    cfg.method = m;
    cfg.batch = 24;
    cfg.samples = 20;
    cfg.adam.lr = 1e-2;
    cfg.proxy_adam.lr = 1e-2;
    cfg.wgan.n_critic = 3;
    return cfg;
}

void init(Setup& s, const TrainerConfig& cfg, ProxyKind kind = ProxyKind::ebm) {
    Rng rng(5);
    FlowConfig fc;
    fc.dim = 2, fc.layers = 2, fc.hidden = 8, fc.depth = 1;
    flow_build(s.flow, fc);
    flow_init(s.flow, rng);
    s.proxy.kind = kind;
    if (kind == ProxyKind::ebm) {
        EBMConfig ec;
        ec.dim = 2, ec.hidden = 8, ec.depth = 1;
        ebm_build(s.proxy.ebm, ec);
        ebm_init(s.proxy.ebm, rng);
    } else {
        flow_build(s.proxy.flow, fc);
        flow_init(s.proxy.flow, rng);
    }
    CriticConfig cc;
    cc.dim = 2, cc.hidden = 8, cc.depth = 1;
    critic_build(s.critic, cc);
    critic_init(s.critic, rng);
    s.train.resize(40, 2);
    for (Real& v : s.train.data) v = (Real)(1.5 * rng.normal());
    trainer_init(s.t, cfg, s.flow, &s.proxy, &s.critic);
}

// Everything a step may change, as it is now.
struct State {
    std::vector<Real> theta, theta_m, theta_v, psi, psi_m, psi_v, critic, critic_m, critic_v;
    long theta_t = 0, psi_t = 0, critic_t = 0;
    double lambda = 0, u = 0, log_z = 0;
};

State state(const Setup& s) {
    const Trainer& t = s.t;
    State st;
    st.theta = s.flow.params.value, st.theta_m = t.opt.m, st.theta_v = t.opt.v, st.theta_t = t.opt.t;
    st.psi = s.proxy.params().value, st.psi_m = t.proxy_opt.m, st.psi_v = t.proxy_opt.v, st.psi_t = t.proxy_opt.t;
    st.critic = s.critic.params.value, st.critic_m = t.critic_opt.m, st.critic_v = t.critic_opt.v;
    st.critic_t = t.critic_opt.t;
    st.lambda = t.lambda, st.u = t.u, st.log_z = t.log_z;
    return st;
}

bool same(const std::vector<Real>& a, const std::vector<Real>& b) {
    return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), sizeof(Real) * a.size()) == 0);
}

// Checks every part separately, so that a failure names the part that moved.
void check_unchanged(const State& before, const State& after) {
    CHECK(same(before.theta, after.theta));
    CHECK(same(before.theta_m, after.theta_m));
    CHECK(same(before.theta_v, after.theta_v));
    CHECK(before.theta_t == after.theta_t);
    CHECK(same(before.psi, after.psi));
    CHECK(same(before.psi_m, after.psi_m));
    CHECK(same(before.psi_v, after.psi_v));
    CHECK(before.psi_t == after.psi_t);
    CHECK(same(before.critic, after.critic));
    CHECK(same(before.critic_m, after.critic_m));
    CHECK(same(before.critic_v, after.critic_v));
    CHECK(before.critic_t == after.critic_t);
    CHECK(before.lambda == after.lambda);
    CHECK(before.u == after.u);
    CHECK(before.log_z == after.log_z);
}

bool contains(const char* s, const char* part) { return s && std::string(s).find(part) != std::string::npos; }

}  // namespace

TEST_CASE("train_step: slack and dual updates match the formulas worked by hand", "[train]") {
    for (ProxyKind kind : {ProxyKind::ebm, ProxyKind::flow}) {
        INFO("proxy " << proxy_kind_name(kind));
        TrainerConfig cfg = small_config(Method::jeffreys);
        cfg.dual.eps = 0.5, cfg.dual.alpha = 2, cfg.dual.dual_lr = 0.1, cfg.dual.slack_lr = 0.05;
        cfg.dual.lambda0 = 1.5;
        Setup s;
        init(s, cfg, kind);
        s.t.u = 0.3;  // a slack that is not at its start value, so that every term of its update counts
        const State before = state(s);
        Rng rng(9);
        const StepResult r = train_step(s.t, s.train, rng);
        REQUIRE(r.bad == nullptr);
        REQUIRE(std::isfinite(r.G));
        // 3. u ← max(0, u − η_u (α u − λ)) = 0.3 − 0.05 (0.6 − 1.5) = 0.345
        CHECK(s.t.u == Approx(0.345).epsilon(1e-14));
        // 4. λ ← max(0, λ + η_λ (Ĝ − ε − u)) with the new u and this step's Ĝ
        CHECK(s.t.lambda == Approx(1.5 + 0.1 * (r.G - 0.5 - 0.345)).epsilon(1e-14));
        // and the models moved
        CHECK_FALSE(same(before.theta, s.flow.params.value));
        CHECK_FALSE(same(before.psi, s.proxy.params().value));
        CHECK(s.t.opt.t == 1);
        CHECK(s.t.proxy_opt.t == 1);
    }
}

TEST_CASE("train_step: u and λ are projected onto [0, ∞)", "[train]") {
    TrainerConfig cfg = small_config(Method::jeffreys);
    // u − η_u (α u − λ) = 1 − 1 · (5 · 1 − 0) < 0; λ + η_λ (Ĝ − ε − u) with ε = 1000 < 0
    cfg.dual.eps = 1000, cfg.dual.alpha = 5, cfg.dual.dual_lr = 1, cfg.dual.slack_lr = 1, cfg.dual.lambda0 = 0;
    Setup s;
    init(s, cfg);
    s.t.u = 1;
    Rng rng(10);
    const StepResult r = train_step(s.t, s.train, rng);
    REQUIRE(r.bad == nullptr);
    CHECK(s.t.u == 0);
    CHECK(s.t.lambda == 0);
}

TEST_CASE("train_step: alpha = inf is the hard constraint, u stays 0", "[train]") {
    TrainerConfig cfg = small_config(Method::jeffreys);
    cfg.dual.eps = 0.5, cfg.dual.alpha = std::numeric_limits<double>::infinity(), cfg.dual.dual_lr = 0.1;
    cfg.dual.slack_lr = 0.05, cfg.dual.lambda0 = 1.5;
    Setup s;
    init(s, cfg);
    s.t.u = 0.7;  // whatever u was, the hard constraint sets it to 0
    Rng rng(11);
    double lambda = cfg.dual.lambda0;
    for (int step = 0; step < 3; step++) {
        const StepResult r = train_step(s.t, s.train, rng);
        REQUIRE(r.bad == nullptr);
        CHECK(s.t.u == 0);
        lambda = std::fmax(0.0, lambda + 0.1 * (r.G - 0.5 - 0.0));
        CHECK(s.t.lambda == Approx(lambda).epsilon(1e-14));
    }
}

TEST_CASE("train_step: penalty holds lambda at lambda0 and u at 0; mle touches neither", "[train]") {
    for (Method m : {Method::penalty, Method::mle}) {
        INFO("method " << method_name(m));
        TrainerConfig cfg = small_config(m);
        cfg.dual.lambda0 = 2.5, cfg.dual.dual_lr = 0.5, cfg.dual.slack_lr = 0.5, cfg.dual.eps = -3;
        Setup s;
        init(s, cfg);
        const State before = state(s);
        Rng rng(12);
        for (int step = 0; step < 3; step++) {
            const StepResult r = train_step(s.t, s.train, rng);
            REQUIRE(r.bad == nullptr);
            CHECK(s.t.lambda == 2.5);
            CHECK(s.t.u == 0);
        }
        CHECK_FALSE(same(before.theta, s.flow.params.value));
        if (m == Method::penalty) {
            CHECK_FALSE(same(before.psi, s.proxy.params().value));  // the ψ-step still runs
            CHECK(s.t.proxy_opt.t == 3);
        } else {
            CHECK(same(before.psi, s.proxy.params().value));        // mle has no proxy
            CHECK(s.t.proxy == nullptr);
        }
    }
}

TEST_CASE("train_step: a non-finite term names itself and updates nothing", "[train]") {
    SECTION("a NaN in the data: F of the theta-step") {
        for (Method m : {Method::mle, Method::penalty, Method::jeffreys}) {
            INFO("method " << method_name(m));
            Setup s;
            init(s, small_config(m));
            for (int i = 0; i < s.train.rows; i += 2) s.train.at(i, 1) = std::numeric_limits<Real>::quiet_NaN();
            const State before = state(s);
            Rng rng(13);
            const StepResult r = train_step(s.t, s.train, rng);
            CHECK(contains(r.bad, "F (the main flow's NLL"));
            check_unchanged(before, state(s));
        }
    }
    SECTION("a huge lr for theta: the theta-step is finite, the psi-step on its samples is not") {
        for (ProxyKind kind : {ProxyKind::ebm, ProxyKind::flow}) {
            INFO("proxy " << proxy_kind_name(kind));
            TrainerConfig cfg = small_config(Method::jeffreys);
            cfg.adam.lr = 1e300;
            Setup s;
            init(s, cfg, kind);
            const State before = state(s);
            Rng rng(14);
            const StepResult r = train_step(s.t, s.train, rng);
            INFO("bad: " << (r.bad ? r.bad : "(none)"));
            CHECK(std::isfinite(r.F));  // the θ-step's own terms were fine ...
            CHECK((contains(r.bad, "psi-step") || contains(r.bad, "log Z") || contains(r.bad, "G (") ||
                   contains(r.bad, "proxy's gradient")));
            check_unchanged(before, state(s));  // ... and its update was taken back
        }
    }
    SECTION("lambda overflows: the last term of the step") {
        TrainerConfig cfg = small_config(Method::jeffreys);
        cfg.dual.dual_lr = 1e308, cfg.dual.eps = -1e10;  // λ + η_λ (Ĝ − ε − u) = +inf
        Setup s;
        init(s, cfg);
        const State before = state(s);
        Rng rng(15);
        const StepResult r = train_step(s.t, s.train, rng);
        CHECK(contains(r.bad, "lambda"));
        check_unchanged(before, state(s));
    }
    SECTION("wgan: a huge critic lr makes a later critic update or the generator non-finite") {
        TrainerConfig cfg = small_config(Method::wgan);
        cfg.wgan.critic_adam.lr = 1e300;
        Setup s;
        init(s, cfg);
        const State before = state(s);
        Rng rng(16);
        const StepResult r = train_step(s.t, s.train, rng);
        INFO("bad: " << (r.bad ? r.bad : "(none)"));
        CHECK((contains(r.bad, "critic") || contains(r.bad, "generator") || contains(r.bad, "main flow")));
        check_unchanged(before, state(s));
    }
    SECTION("after a skipped step the next finite step runs as if the bad one had not been tried") {
        // two trainers on the same data: one takes a bad step (NaN batch) first, then both
        // take the same good step; their states must be identical
        Setup a, b;
        init(a, small_config(Method::jeffreys));
        init(b, small_config(Method::jeffreys));
        Tensor bad = a.train;
        for (Real& v : bad.data) v = std::numeric_limits<Real>::quiet_NaN();
        Rng r0(17);
        REQUIRE(train_step(a.t, bad, r0).bad != nullptr);
        Rng ra(18), rb(18);
        REQUIRE(train_step(a.t, a.train, ra).bad == nullptr);
        REQUIRE(train_step(b.t, b.train, rb).bad == nullptr);
        const State sa = state(a), sb = state(b);
        CHECK(same(sa.theta, sb.theta));
        CHECK(same(sa.psi, sb.psi));
        CHECK(sa.lambda == sb.lambda);
        CHECK(sa.u == sb.u);
    }
}
