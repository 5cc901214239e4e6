// tasks.h — four simulation-based inference tasks of the sbibm benchmark (Lueckmann et
// al., AISTATS 2021): priors, seeded simulators, log densities and reference posteriors.
//
//   two_moons         θ ∈ R²,  x ∈ R²   crescent-shaped, bimodal posterior
//   gaussian_linear   θ ∈ R¹⁰, x ∈ R¹⁰  Gaussian prior and likelihood: exact posterior
//   slcp              θ ∈ R⁵,  x ∈ R⁸   simple likelihood, complex (four-mode) posterior
//   gaussian_mixture  θ ∈ R²,  x ∈ R²   a broad and a narrow Gaussian around θ
//
// Each follows sbibm's definitions (docs/sbi.md lists them). Every function that draws
// takes an Rng and draws from it in a fixed order, so a seed fixes every number. Samples
// are rows of a Tensor: (n, dim θ) parameters, (n, dim x) data.
//
// Reference posteriors p(θ | x_o): gaussian_linear is exact, gaussian_mixture and
// two_moons are exact by rejection, slcp is MCMC (slice sampling) on the analytic
// likelihood; task_reference_posterior picks the right one.
#pragma once
#include <functional>
#include <string>

#include "tensor/rng.h"
#include "tensor/tensor.h"

enum class SbiTask { two_moons, gaussian_linear, slcp, gaussian_mixture };

bool sbi_task_from_name(const std::string& name, SbiTask* out);
const char* sbi_task_name(SbiTask t);
const char* sbi_task_names();  // "two_moons, gaussian_linear, slcp, gaussian_mixture"
int sbi_theta_dim(SbiTask t);
int sbi_x_dim(SbiTask t);

// n draws θ ~ p(θ) as a (n, dim θ) tensor.
Tensor sbi_prior_sample(SbiTask t, int n, Rng& rng);
// log p(θ) of one parameter vector; −∞ outside the prior's support.
double sbi_log_prior(SbiTask t, const Real* theta);
// One x ~ p(x | θ) for every row of theta (n, dim θ): a (n, dim x) tensor.
Tensor sbi_simulate(SbiTask t, const Tensor& theta, Rng& rng);

// Whether log p(x | θ) is available in closed form (every task but two_moons).
bool sbi_has_likelihood(SbiTask t);
// log p(x | θ) for one θ and one x; throws symkl::Error for two_moons.
double sbi_log_likelihood(SbiTask t, const Real* theta, const Real* x);

// Slice sampling (Neal 2003, stepping out and shrinkage, one coordinate at a time) of an
// unnormalised log density, with many chains.
struct SliceOptions {
    int chains = 100;        // independent chains, each seeded from the caller's Rng
    int burn_in = 500;       // sweeps discarded at the start of each chain
    int thin = 5;            // sweeps between kept samples
    double width = 1.0;      // initial bracket width per coordinate
    int max_steps = 50;      // stepping-out limit per side
    int init_candidates = 10000;  // prior draws for the start points (below)
};
// n samples of the density exp(logp), logp(θ) = log prior + log likelihood. Each chain
// starts at a point drawn by sampling-importance-resampling: init_candidates prior draws
// (from `prior`), one picked per chain with probability ∝ exp(logp − log prior) (with
// replacement). Every chain keeps ⌈n / chains⌉ samples; the first n of them, chain after
// chain, are returned. The chains run in parallel, each on its own Rng: the result does
// not depend on the thread count.
Tensor slice_sample(const std::function<double(const Real*)>& logp,
                    const std::function<double(const Real*)>& log_prior,
                    const std::function<Tensor(int, Rng&)>& prior, int dim, int n,
                    const SliceOptions& opt, Rng& rng);

// n samples of the reference posterior p(θ | x_obs) (x_obs: dim x numbers).
//   gaussian_linear   exact: N(x_obs / 2, 0.05 I)
//   gaussian_mixture  the mixture centred at x_obs, truncated to the prior box (rejection)
//   two_moons         the simulator inverted: a, r drawn, either branch of |·| with
//                     probability ½, θ outside the prior rejected
//   slcp              slice sampling (opt) on the likelihood; then the signs of θ₃ and θ₄
//                     are flipped with probability ½ each, an exact symmetry of the
//                     posterior that MCMC chains started in one mode cannot cross to
// Throws symkl::Error when rejection accepts nothing in 10⁴·n tries (an x_obs the model
// cannot produce).
Tensor sbi_reference_posterior(SbiTask t, const Real* x_obs, int n, Rng& rng,
                               const SliceOptions& opt = SliceOptions{});

// Slice sampling of any task's posterior with a likelihood (used for slcp, and to check
// the sampler on gaussian_linear against the exact posterior).
Tensor sbi_mcmc_posterior(SbiTask t, const Real* x_obs, int n, Rng& rng, const SliceOptions& opt);
