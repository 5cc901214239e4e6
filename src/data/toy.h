// toy.h — the eight 2-D toy data sets and, where one exists, their true log-density.
//
// Samples come from symkl's own Rng, one point after another, so a seed gives the
// same points on every machine. Four sets have a density we can evaluate (closed
// form, or a fixed quadrature over the angle θ along a curve); the checkerboard's
// density is exact but zero off its squares; pinwheel, swissroll and 2spirals have
// none we evaluate. docs/data.md gives every definition and the measured accuracy.
#pragma once
#include <cstdint>
#include <string>

#include "tensor/tensor.h"

struct Rng;

enum class Toy { gaussians8, moons, circles, rings, checkerboard, pinwheel, swissroll, spirals2 };

// Names as the CLI spells them: "8gaussians", "moons", "circles", "rings",
// "checkerboard", "pinwheel", "swissroll", "2spirals".
bool toy_from_name(const std::string& name, Toy* out);  // false if the name is unknown
const char* toy_name(Toy t);
std::string toy_names();  // "8gaussians, moons, ..., 2spirals", for help and error messages

// out (n, 2) is resized, then filled with n points drawn serially from rng.
// Drawing n then m points gives the same points as drawing n + m at once.
void toy_sample(Toy t, Rng& rng, int n, Tensor& out);

bool toy_has_density(Toy t);     // a true log-density is available (toy_log_density works)
bool toy_has_reverse_kl(Toy t);  // false for checkerboard: its density is zero off the squares

// Nodes of the θ quadrature (moons: Gauss–Legendre on [0, π]; circles, rings: trapezoid
// on [0, 2π)) used by toy_log_density.
constexpr int toy_n_quad_default = 2048;

// out[i] = log π(x_i) in double for each row of x (n, 2); -inf off the checkerboard's
// squares, NaN for a NaN point. Parallel over points; the result does not depend on the
// number of threads. Throws symkl::Error if the set has no density or x does not have 2 columns.
void toy_log_density(Toy t, const Tensor& x, double* out);
// The same with n_quad quadrature nodes (ignored by 8gaussians and checkerboard, whose
// densities are exact); tests compare two resolutions with it.
void toy_log_density_n(Toy t, const Tensor& x, double* out, int n_quad);

// A conditional toy: n rows [x₀, x₁, y₀, y₁] with y ~ N(0, I) and x | y = A y + 0.1 ε,
// A = [[0.8, −0.5], [0.3, 0.9]], ε ~ N(0, I): the true conditional NLL of x given y is
// log(2π · 0.1²) = −2.77 nats. The tests and tools/conditional_study train on it.
Tensor toy_conditional_gaussian(int n, uint64_t seed);
