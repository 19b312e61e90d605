#pragma once
// POSIX file access for the io layer: whole writes that report every failure, and reads at an
// offset that insist on getting all the bytes asked for. Errors are RuntimeErrors that start with
// "<op>: <path>: ".
#include <cstddef>
#include <cstdint>
#include <string>

namespace nabla::io {

// Writes a file atomically: the bytes go to a new temporary file next to `path`; commit() syncs
// it and renames it over `path`. Destroyed without commit() (an error, an exception elsewhere),
// it removes the temporary file, so `path` is never left half-written. A process killed mid-write
// cannot remove its temporary file (".<name>.tmp-<pid>-<n>"); the next save to `path` removes
// those whose process no longer exists.
class AtomicFileWriter {
 public:
  AtomicFileWriter(std::string path, const char* op);
  ~AtomicFileWriter();
  AtomicFileWriter(const AtomicFileWriter&) = delete;
  AtomicFileWriter& operator=(const AtomicFileWriter&) = delete;

  void write(const void* data, size_t nbytes);
  void commit();

 private:
  [[noreturn]] void fail_errno(const std::string& what, int err);
  void discard();
  std::string path_, temp_path_;
  const char* op_;
  int fd_ = -1;
};

// A file opened for reading, with its size taken at open.
class InputFile {
 public:
  InputFile(std::string path, const char* op);
  ~InputFile();
  InputFile(const InputFile&) = delete;
  InputFile& operator=(const InputFile&) = delete;

  uint64_t size() const { return size_; }
  // Reads exactly `nbytes` at `offset`; fewer bytes (the file shrank) is an error.
  void read_at(uint64_t offset, void* data, size_t nbytes) const;
  [[noreturn]] void fail(const std::string& what) const;

 private:
  std::string path_;
  const char* op_;
  int fd_ = -1;
  uint64_t size_ = 0;
};

// "<op>: <path>: <what>: <strerror(err)>".
[[noreturn]] void fail_with_errno(const char* op, const std::string& path, const std::string& what, int err);

}  // namespace nabla::io
