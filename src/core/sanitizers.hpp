#pragma once
// Whether this build runs under AddressSanitizer: GCC defines __SANITIZE_ADDRESS__, clang answers
// __has_feature. Code that pools or caches memory behaves differently there (see small_blocks.cpp).

namespace nabla {

#if defined(__SANITIZE_ADDRESS__)
#define NABLA_ADDRESS_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define NABLA_ADDRESS_SANITIZER 1
#endif
#endif

#ifdef NABLA_ADDRESS_SANITIZER
inline constexpr bool kAddressSanitizer = true;
#else
inline constexpr bool kAddressSanitizer = false;
#endif

}  // namespace nabla
