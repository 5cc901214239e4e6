// real.h — the one floating-point type of symkl, fixed at compile time.
//
// Real is double by default: gradient checks by central differences need it.
// `make REAL=float` defines SYMKL_REAL_FLOAT and builds a float variant into
// build/float/ (faster, but only tests that tolerate float rounding run there).
#pragma once

#ifdef SYMKL_REAL_FLOAT
using Real = float;
#define SYMKL_REAL_NAME "float"
#define SYMKL_SAFETENSORS_DTYPE "F32"
#else
using Real = double;
#define SYMKL_REAL_NAME "double"
#define SYMKL_SAFETENSORS_DTYPE "F64"
#endif
