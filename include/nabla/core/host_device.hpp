#pragma once
// Marks the few core functions that CUDA kernels call too (16-bit float conversion, convert<To, From>),
// so that both backends share one definition of their rounding and wrapping rules.
#if defined(__CUDACC__)
#define NB_HOST_DEVICE __host__ __device__
#else
#define NB_HOST_DEVICE
#endif
