// test_conditional_flow.cpp — couplings and flows with a context y (p(x | y)): gradients
// with respect to parameters, input and context in both directions (with and without a
// context embedding), invertibility for a fixed context, that the context matters, and
// checkpoints of conditional flows.
#include <catch2/catch.hpp>

#include <cmath>

#include "cli_run.h"
#include "flow/flow.h"
#include "gradcheck.h"
#include "io/checkpoint.h"
#include "io/safetensors.h"
#include "tempdir.h"
#include "tensor/rng.h"

static const double TOL = 1e-6;

TEST_CASE("conditional coupling: gradients on parameters, input and context, both directions",
          "[flow][sbi][double]") {
    const int B = 4;
    for (int D : {2, 3}) for (int dc : {1, 3}) for (Act act : {Act::tanh, Act::relu})
    for (Scale scale : {Scale::tanh, Scale::exp}) for (int dir = 0; dir < 2; dir++) {
        INFO("D=" << D << " dc=" << dc << " act=" << act_name(act) << " scale=" << scale_name(scale)
                  << (dir == 0 ? " density" : " sampling"));
        Params p;
        Coupling c;
        CouplingCache cc;
        coupling_declare(c, p, "c", D, dir == 0 ? Half::first : Half::second, 6, 2, act, scale, Real(2), dc);
        p.allocate();
        Rng rng(900 + 10 * D + dc);
        mlp_init(c.net, p, rng, LastLayer::random);
        coupling_cache_init(cc, c, B);
        REQUIRE(c.net.in == c.da + dc);
        std::vector<Real> in = random_vec((size_t)B * D, rng, 2.0), y = random_vec((size_t)B * dc, rng, 2.0);
        std::vector<Real> w = random_vec((size_t)B * D, rng), wl = random_vec(B, rng);
        std::vector<Real> out((size_t)B * D), ld(B), din((size_t)B * D), dy((size_t)B * dc, Real(0));
        auto loss = [&]() {
            if (dir == 0) coupling_forward(out.data(), ld.data(), in.data(), c, p, cc, B, y.data());
            else coupling_inverse(out.data(), ld.data(), in.data(), c, p, cc, B, y.data());
            double v = 0;
            for (size_t i = 0; i < out.size(); i++) v += (double)w[i] * out[i];
            for (int i = 0; i < B; i++) v += (double)wl[i] * ld[i];
            return v;
        };
        loss();
        p.zero_grad();
        if (dir == 0) coupling_density_backward(din.data(), w.data(), wl.data(), c, p, cc, B, dy.data());
        else coupling_inverse_backward(din.data(), w.data(), wl.data(), c, p, cc, B, dy.data());
        const Kinks k = act == Act::relu ? Kinks::skip : Kinks::forbid;
        GradCheck gp = grad_check(loss, p.value.data(), p.grad.data(), p.size(), k);
        GradCheck gx = grad_check(loss, in.data(), din.data(), in.size(), k);
        GradCheck gy = grad_check(loss, y.data(), dy.data(), y.size(), k);
        CHECK(gp.finite);
        CHECK(gy.finite);
        CHECK(gp.max_err < TOL);
        CHECK(gx.max_err < TOL);
        CHECK(gy.max_err < TOL);
        CHECK(gy.checked + gy.skipped_kinks == y.size());
        CHECK(gy.skipped_kinks * 4 <= y.size());
        CHECK(gp.skipped_kinks * 20 <= p.size());
    }
}

static Flow make_cond_flow(int D, int C, int E, Act act, Scale scale, uint64_t seed) {
    FlowConfig cfg;
    cfg.dim = D;
    cfg.layers = 4;
    cfg.hidden = 8;
    cfg.depth = 2;
    cfg.act = act;
    cfg.scale = scale;
    cfg.context = C;
    cfg.embed = E;
    cfg.embed_hidden = 5;
    cfg.embed_depth = 1;
    Flow f;
    flow_build(f, cfg);
    Rng rng(seed);
    for (const Coupling& c : f.couplings) mlp_init(c.net, f.params, rng, LastLayer::random);
    if (E > 0) mlp_init(f.embed, f.params, rng, LastLayer::random);
    for (Real& v : f.params.value) v *= (Real)1.2;  // larger scales exercise the tanh clamp
    return f;
}

TEST_CASE("conditional flow: log p(x | y) gradients on every parameter, x and y", "[flow][sbi][double]") {
    const int B = 4;
    for (int D : {2, 3}) for (int E : {0, 2}) for (Scale scale : {Scale::tanh, Scale::exp}) {
        const int C = 3;
        INFO("D=" << D << " embed=" << E << " scale=" << scale_name(scale));
        Flow f = make_cond_flow(D, C, E, Act::tanh, scale, 1000 + D + 10 * E);
        FlowCache c;
        flow_cache_init(c, f, B);
        Rng rng(21);
        std::vector<Real> x = random_vec((size_t)B * D, rng, 1.0), y = random_vec((size_t)B * C, rng, 1.0);
        std::vector<Real> w = random_vec(B, rng), lp(B), dx((size_t)B * D), dy((size_t)B * C, Real(7));
        auto loss = [&]() {
            flow_log_prob(lp.data(), x.data(), f, c, B, y.data());
            double v = 0;
            for (int i = 0; i < B; i++) v += (double)w[i] * lp[i];
            return v;
        };
        loss();
        f.params.zero_grad();
        flow_log_prob_backward(dx.data(), w.data(), f, c, B, dy.data());  // dy is written, not added to
        GradCheck gp = grad_check(loss, f.params.value.data(), f.params.grad.data(), f.params.size());
        GradCheck gx = grad_check(loss, x.data(), dx.data(), x.size());
        GradCheck gy = grad_check(loss, y.data(), dy.data(), y.size());
        CHECK(gp.finite);
        CHECK(gp.max_err < TOL);
        CHECK(gx.max_err < TOL);
        CHECK(gy.max_err < TOL);
        CHECK(directional_check(loss, f.params.value.data(), f.params.grad.data(), f.params.size(), 5) < TOL);
        // without dy the parameter gradients are the same
        std::vector<Real> g1 = f.params.grad;
        loss();
        f.params.zero_grad();
        flow_log_prob_backward(nullptr, w.data(), f, c, B, nullptr);
        CHECK(f.params.grad == g1);
    }
}

TEST_CASE("conditional flow: sampling-path gradients on every parameter, z and y", "[flow][sbi][double]") {
    const int B = 4;
    for (int D : {2, 3}) for (int E : {0, 2}) {
        const int C = 2;
        INFO("D=" << D << " embed=" << E);
        Flow f = make_cond_flow(D, C, E, Act::silu, Scale::tanh, 1100 + D + 10 * E);
        FlowCache c;
        flow_cache_init(c, f, B);
        Rng rng(22);
        std::vector<Real> z = random_vec((size_t)B * D, rng, 2.0), y = random_vec((size_t)B * C, rng, 2.0);
        std::vector<Real> wx = random_vec((size_t)B * D, rng), wl = random_vec(B, rng);
        std::vector<Real> x((size_t)B * D), lp(B), dz((size_t)B * D), dy((size_t)B * C);
        auto loss = [&]() {
            flow_sample(x.data(), lp.data(), z.data(), f, c, B, y.data());
            double v = 0;
            for (size_t i = 0; i < x.size(); i++) v += (double)wx[i] * x[i];
            for (int i = 0; i < B; i++) v += (double)wl[i] * lp[i];
            return v;
        };
        loss();
        f.params.zero_grad();
        flow_sample_backward(dz.data(), wx.data(), wl.data(), f, c, B, dy.data());
        GradCheck gp = grad_check(loss, f.params.value.data(), f.params.grad.data(), f.params.size());
        GradCheck gz = grad_check(loss, z.data(), dz.data(), z.size());
        GradCheck gy = grad_check(loss, y.data(), dy.data(), y.size());
        CHECK(gp.finite);
        CHECK(gp.max_err < TOL);
        CHECK(gz.max_err < TOL);
        CHECK(gy.max_err < TOL);
    }
}

TEST_CASE("conditional flow: inverse(forward(x; y); y) = x, and y changes the density", "[flow][sbi][double]") {
    const int B = 8, D = 3, C = 2;
    for (int E : {0, 4}) {
        Flow f = make_cond_flow(D, C, E, Act::tanh, Scale::tanh, 1200 + E);
        FlowCache c;
        flow_cache_init(c, f, B);
        Rng rng(23);
        std::vector<Real> x = random_vec((size_t)B * D, rng, 2.0), y = random_vec((size_t)B * C, rng, 2.0);
        std::vector<Real> z((size_t)B * D), x2((size_t)B * D), ldf(B), ldi(B);
        flow_forward(z.data(), ldf.data(), x.data(), f, c, B, y.data());
        flow_inverse(x2.data(), ldi.data(), z.data(), f, c, B, y.data());
        double worst = 0, worst_ld = 0;
        for (size_t i = 0; i < x.size(); i++) worst = std::fmax(worst, std::fabs(x[i] - x2[i]));
        for (int i = 0; i < B; i++) worst_ld = std::fmax(worst_ld, std::fabs(ldf[i] + ldi[i]));
        CHECK(worst <= 1e-10);
        CHECK(worst_ld <= 1e-10);
        // another context: another density at the same points
        std::vector<Real> lp1(B), lp2(B), y2 = y;
        for (Real& v : y2) v += Real(0.5);
        flow_log_prob(lp1.data(), x.data(), f, c, B, y.data());
        flow_log_prob(lp2.data(), x.data(), f, c, B, y2.data());
        double diff = 0;
        for (int i = 0; i < B; i++) diff = std::fmax(diff, std::fabs(lp1[i] - lp2[i]));
        CHECK(diff > 1e-3);
    }
}

TEST_CASE("conditional flow: a context whose conditioner weights are zero gives the unconditional flow",
          "[flow][sbi]") {
    // The same couplings with and without a context: when every weight that reads y is
    // zero, the conditional flow computes the unconditional flow's numbers, bit for bit.
    const int B = 6, D = 3, C = 2;
    FlowConfig cfg;
    cfg.dim = D;
    cfg.layers = 3;
    cfg.hidden = 7;
    Flow u, k;
    flow_build(u, cfg);
    cfg.context = C;
    flow_build(k, cfg);
    Rng rng(31);
    for (const Coupling& c : u.couplings) mlp_init(c.net, u.params, rng, LastLayer::random);
    REQUIRE(u.params.info.size() == k.params.info.size());
    for (size_t t = 0; t < u.params.info.size(); t++) {
        const ParamInfo &a = u.params.info[t], &b = k.params.info[t];
        REQUIRE(a.name == b.name);
        const Real* src = u.params.v(a.offset);
        Real* dst = k.params.v(b.offset);
        if (a.shape == b.shape) {
            for (size_t i = 0; i < a.count; i++) dst[i] = src[i];
        } else {  // a first layer's weight (H, da) → (H, da + C): the context columns stay 0
            REQUIRE(a.shape.size() == 2);
            REQUIRE(b.shape[1] == a.shape[1] + C);
            for (int r = 0; r < a.shape[0]; r++)
                for (int j = 0; j < a.shape[1]; j++) dst[(size_t)r * b.shape[1] + j] = src[(size_t)r * a.shape[1] + j];
        }
    }
    FlowCache cu, ck;
    flow_cache_init(cu, u, B);
    flow_cache_init(ck, k, B);
    std::vector<Real> x = random_vec((size_t)B * D, rng, 2.0), y = random_vec((size_t)B * C, rng, 2.0);
    std::vector<Real> lu(B), lk(B), su((size_t)B * D), sk((size_t)B * D);
    flow_log_prob(lu.data(), x.data(), u, cu, B);
    flow_log_prob(lk.data(), x.data(), k, ck, B, y.data());
    CHECK(lu == lk);
    flow_sample(su.data(), lu.data(), x.data(), u, cu, B);
    flow_sample(sk.data(), lk.data(), x.data(), k, ck, B, y.data());
    CHECK(su == sk);
    CHECK(lu == lk);
}

TEST_CASE("conditional flow: invalid context configurations are refused", "[flow][sbi]") {
    FlowConfig cfg;
    Flow f;
    cfg.context = -1;
    CHECK_THROWS_WITH(flow_build(f, cfg), Catch::Contains("context"));
    cfg.context = 0;
    cfg.embed = 3;
    CHECK_THROWS_WITH(flow_build(f, cfg), Catch::Contains("needs a context"));
    cfg.context = 2;
    cfg.embed_hidden = 0;
    CHECK_THROWS_WITH(flow_build(f, cfg), Catch::Contains("embedding"));
}

TEST_CASE("conditional flow: checkpoints keep the context and embedding; unconditional files are unchanged",
          "[flow][sbi][checkpoint]") {
    TempDir t;
    const int B = 3, D = 2, C = 3;
    for (int E : {0, 2}) {
        INFO("embed=" << E);
        Flow f = make_cond_flow(D, C, E, Act::tanh, Scale::tanh, 1300 + E);
        save_flow(t / "c.safetensors", f, {});
        Flow g;
        load_flow(t / "c.safetensors", g);
        CHECK(g.cfg.context == C);
        CHECK(g.cfg.embed == E);
        CHECK(g.params.value == f.params.value);
        FlowCache cf, cg;
        flow_cache_init(cf, f, B);
        flow_cache_init(cg, g, B);
        Rng rng(3);
        std::vector<Real> x = random_vec((size_t)B * D, rng), y = random_vec((size_t)B * C, rng), l1(B), l2(B);
        flow_log_prob(l1.data(), x.data(), f, cf, B, y.data());
        flow_log_prob(l2.data(), x.data(), g, cg, B, y.data());
        CHECK(l1 == l2);
        // the CLI evaluates unconditional flows only, and says so
        Run r = run_cli("logprob --model " + (t / "c.safetensors") + " --in " + std::string(SYMKL_SOURCE_DIR) +
                        "/data/moons.csv --out " + (t / "lp.csv"));
        CHECK(r.code == 2);
        CHECK_THAT(r.out, Catch::Contains("a conditional flow (context of 3 values"));
    }
    // an unconditional flow's metadata has no context keys: its file is what it always was
    const Metadata m = flow_metadata(FlowConfig{});
    for (const auto& kv : m) CHECK((kv.first != "context" && kv.first != "embed"));
    CHECK(m.back().first == "real");
    // a context the tensors do not have is refused before anything is allocated
    Flow u = make_cond_flow(D, 0, 0, Act::tanh, Scale::tanh, 7);
    Metadata bad = flow_metadata(u.cfg);
    bad.insert(bad.end() - 1, {"context", "4"});
    SafeTensors st;
    st.metadata = bad;
    params_to_safetensors(u.params, st, "");
    save_safetensors(t / "bad.safetensors", st, SYMKL_SAFETENSORS_DTYPE);
    Flow g;
    CHECK_THROWS_WITH(load_flow(t / "bad.safetensors", g), Catch::Contains("context 4"));
}
