#include "np/float_format.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <optional>

namespace nabla::np {
namespace {

// |value| = digits[0].digits[1...] x 10^exponent, with no trailing zeros in digits ("0" for zero).
struct Digits {
  std::string digits;
  int exponent = 0;
};

void strip_trailing_zeros(Digits& d) {
  while (d.digits.size() > 1 && d.digits.back() == '0') d.digits.pop_back();
}

// Parses "d.ddde+XX" (printf's %e and to_chars' scientific form) of a non-negative value.
Digits parse_scientific(const char* s) {
  Digits d;
  const char* p = s;
  for (; *p && *p != 'e'; ++p)
    if (*p != '.') d.digits.push_back(*p);
  d.exponent = *p == 'e' ? std::atoi(p + 1) : 0;
  strip_trailing_zeros(d);
  if (d.digits == "0") d.exponent = 0;
  return d;
}

double half_value(uint16_t bits) { return double(Half::to_float(bits)); }

// float16's shortest digits, searched directly: the candidates with p significant digits nearest to the
// value, kept when they lie inside the value's rounding interval.
Digits half_shortest(double v) {
  const uint16_t bits = Half(float(v)).bits;
  const double below = bits == 0 ? 0 : half_value(uint16_t(bits - 1));
  const double above = bits == 0x7bff ? 65536.0 : half_value(uint16_t(bits + 1));
  const double low_margin = (v - below) / 2, high_margin = (above - v) / 2;
  for (int p = 1; p <= 17; ++p) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*e", p - 1, v);
    Digits nearest = parse_scientific(buf);
    nearest.digits.resize(size_t(p), '0');
    const long long mantissa = std::atoll(nearest.digits.c_str());
    const int scale = nearest.exponent - (p - 1);
    std::optional<long long> best;
    double best_distance = 0;
    for (long long candidate = mantissa - 1; candidate <= mantissa + 1; ++candidate) {
      if (candidate <= 0) continue;
      std::snprintf(buf, sizeof buf, "%llde%d", candidate, scale);
      const double value = std::strtod(buf, nullptr);
      const double distance = std::fabs(value - v);
      // The interval's ends round to this value when its mantissa is even (IEEE ties-to-even).
      const double margin = value < v ? low_margin : high_margin;
      const bool inside = distance < margin || (distance == margin && bits % 2 == 0);
      // A tie between two candidates goes to the even digit, as dragon4 rounds its last digit.
      const bool closer = !best || distance < best_distance || (distance == best_distance && candidate % 2 == 0);
      if (inside && closer) best = candidate, best_distance = distance;
    }
    if (best) {
      Digits d;
      d.digits = std::to_string(*best);
      d.exponent = scale + int(d.digits.size()) - 1;
      strip_trailing_zeros(d);
      return d;
    }
  }
  char buf[64];  // not reached: 5 significant digits always identify a float16
  std::snprintf(buf, sizeof buf, "%.4e", v);
  return parse_scientific(buf);
}

Digits shortest(double v, DType dtype) {
  if (v == 0) return {"0", 0};
  if (dtype == kFloat16) return half_shortest(v);
  char buf[64];
  auto r = dtype == kFloat32 ? std::to_chars(buf, buf + sizeof buf - 1, float(v), std::chars_format::scientific)
                             : std::to_chars(buf, buf + sizeof buf - 1, v, std::chars_format::scientific);
  *r.ptr = '\0';
  return parse_scientific(buf);
}

// The exact value rounded half to even at `frac_digits` digits after the point, as dragon4 does at its cutoff.
Digits rounded_positional(double v, int frac_digits) {
  std::string buf(size_t(frac_digits) + 330, '\0');
  std::snprintf(buf.data(), buf.size(), "%.*f", frac_digits, v);
  Digits d;
  int point = -1;
  for (const char* p = buf.c_str(); *p; ++p) {
    if (*p == '.') point = int(d.digits.size());
    else d.digits.push_back(*p);
  }
  if (point < 0) point = int(d.digits.size());
  size_t lead = 0;
  while (lead + 1 < d.digits.size() && d.digits[lead] == '0') ++lead;
  d.digits.erase(0, lead);
  d.exponent = point - int(lead) - 1;
  strip_trailing_zeros(d);
  if (d.digits == "0") d.exponent = 0;
  return d;
}

Digits rounded_scientific(double v, int frac_digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*e", frac_digits, v);
  return parse_scientific(buf);
}

std::string finish_fraction(std::string frac, const FloatFormat& f) {
  if (f.min_digits > int(frac.size())) frac.resize(size_t(f.min_digits), '0');
  if (frac.empty()) {
    switch (f.trim) {
      case Trim::kZero: return ".0";
      case Trim::kDotZeros: return "";
      default: return ".";
    }
  }
  return "." + frac;
}

std::string pad_left(std::string s, int width) {
  if (int(s.size()) < width) s.insert(0, size_t(width) - s.size(), ' ');
  return s;
}

}  // namespace

std::string format_positional(double value, DType dtype, const FloatFormat& f) {
  const double v = std::fabs(value);
  Digits d = shortest(v, dtype);
  // dragon4 stops at the shortest unique digits only past min_digits; before that it emits the exact digits.
  const int last_digit_exponent = d.exponent - (int(d.digits.size()) - 1);
  if (v != 0 && f.precision >= 0 && last_digit_exponent < -f.precision) d = rounded_positional(v, f.precision);
  else if (v != 0 && f.min_digits >= 0 && last_digit_exponent > -f.min_digits) d = rounded_positional(v, f.min_digits);
  std::string int_part, frac;
  if (d.digits == "0") {
    int_part = "0";
  } else if (d.exponent >= 0) {
    const size_t n = size_t(d.exponent) + 1;
    int_part = d.digits.substr(0, n);
    if (int_part.size() < n) int_part.resize(n, '0');
    if (d.digits.size() > n) frac = d.digits.substr(n);
  } else {
    int_part = "0";
    frac = std::string(size_t(-d.exponent - 1), '0') + d.digits;
  }
  std::string head = std::signbit(value) ? "-" : "";
  head += int_part;
  std::string out = pad_left(std::move(head), f.pad_left);
  const std::string tail = finish_fraction(frac, f);
  out += tail;
  const int frac_chars = tail.empty() ? 0 : int(tail.size()) - 1;
  if (f.pad_right > frac_chars) out.append(size_t(f.pad_right - frac_chars), ' ');
  return out;
}

std::string format_scientific(double value, DType dtype, const FloatFormat& f) {
  const double v = std::fabs(value);
  Digits d = shortest(v, dtype);
  const int frac_len = int(d.digits.size()) - 1;
  if (f.precision >= 0 && frac_len > f.precision) d = rounded_scientific(v, f.precision);
  else if (f.min_digits >= 0 && frac_len < f.min_digits) d = rounded_scientific(v, f.min_digits);
  std::string head = std::signbit(value) ? "-" : "";
  head += d.digits[0];
  std::string out = pad_left(std::move(head), f.pad_left);
  out += finish_fraction(d.digits.substr(1), f);
  std::string exponent = std::to_string(std::abs(d.exponent));
  const size_t width = size_t(std::min(f.exp_digits < 0 ? 2 : f.exp_digits, 5));
  if (exponent.size() < width) exponent.insert(0, width - exponent.size(), '0');
  return out + (d.exponent < 0 ? "e-" : "e+") + exponent;
}

std::string format_float_scalar(double value, DType dtype) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value < 0 ? "-inf" : "inf";
  const double a = std::fabs(value);
  if (a == 0 || (a < 1e16 && a >= 1e-4)) return format_positional(value, dtype, {.trim = Trim::kZero});
  return format_scientific(value, dtype, {.trim = Trim::kDotZeros});
}

}  // namespace nabla::np
