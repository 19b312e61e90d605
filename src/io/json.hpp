#pragma once
// A strict JSON parser (RFC 8259, no extensions) for the headers of safetensors files, and the
// string escaping their writer needs. Objects keep their member order; duplicate keys, invalid
// UTF-8, nesting deeper than kMaxDepth and anything after the value but whitespace are errors.
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace nabla::io {

struct JsonError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct JsonMember;

struct JsonValue {
  enum class Kind { kNull, kBool, kNumber, kString, kArray, kObject };
  Kind kind = Kind::kNull;
  bool boolean = false;
  std::string text;  // a string's value, or a number's literal as written
  std::vector<JsonValue> items;
  std::vector<JsonMember> members;  // an object's, in the file's order

  const JsonValue* find(std::string_view key) const;
  // The value of a number written as a non-negative integer that fits 64 bits.
  std::optional<uint64_t> as_uint64() const;
  // "object", "string", ... for messages.
  std::string_view kind_name() const;
};

struct JsonMember {
  std::string key;
  JsonValue value;
};

inline constexpr int kMaxJsonDepth = 64;

// Throws JsonError naming the byte offset and what is wrong.
JsonValue parse_json(std::string_view text);

bool is_valid_utf8(std::string_view s);

// Appends `s` (valid UTF-8) as a quoted JSON string.
void append_json_string(std::string& out, std::string_view s);

}  // namespace nabla::io
