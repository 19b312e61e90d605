#include "io/file.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>

#include "core/check.hpp"

namespace nabla::io {
namespace {

// Exceeding RLIMIT_FSIZE sends SIGXFSZ, whose default action kills the process. While this guard
// lives the signal is blocked for the calling thread, so write() fails with EFBIG instead; a
// SIGXFSZ that became pending meanwhile is consumed before the mask is restored.
class BlockFileSizeSignal {
 public:
  BlockFileSizeSignal() {
    sigset_t only;
    sigemptyset(&only);
    sigaddset(&only, SIGXFSZ);
    pthread_sigmask(SIG_BLOCK, &only, &previous_mask_);
    sigset_t pending;
    sigpending(&pending);
    was_pending_ = sigismember(&pending, SIGXFSZ) == 1;
  }
  ~BlockFileSizeSignal() {
    sigset_t pending;
    sigpending(&pending);
    if (!was_pending_ && sigismember(&pending, SIGXFSZ) == 1) {
      sigset_t only;
      sigemptyset(&only);
      sigaddset(&only, SIGXFSZ);
      const timespec no_wait{0, 0};
      sigtimedwait(&only, nullptr, &no_wait);
    }
    pthread_sigmask(SIG_SETMASK, &previous_mask_, nullptr);
  }

 private:
  sigset_t previous_mask_;
  bool was_pending_ = false;
};

std::string directory_of(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

std::string base_name_of(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace

void fail_with_errno(const char* op, const std::string& path, const std::string& what, int err) {
  fail<RuntimeError>(op, ": ", path, ": ", what, ": ", std::strerror(err));
}

AtomicFileWriter::AtomicFileWriter(std::string path, const char* op) : path_(std::move(path)), op_(op) {
  NB_CHECK(!path_.empty() && path_.back() != '/', ValueError, op_, ": '", path_, "' is not a file path");
  static std::atomic<uint64_t> counter{0};
  const std::string stem = directory_of(path_) + "/." + base_name_of(path_) + ".tmp-" + std::to_string(getpid()) + "-";
  // O_EXCL makes the name ours alone; 0666 lets the umask decide the permissions, as for any new file.
  for (int attempt = 0; fd_ < 0; ++attempt) {
    temp_path_ = stem + std::to_string(counter.fetch_add(1));
    fd_ = ::open(temp_path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd_ < 0 && (errno != EEXIST || attempt == 100))
      fail_with_errno(op_, path_, "cannot create the temporary file " + temp_path_, errno);
  }
}

AtomicFileWriter::~AtomicFileWriter() { discard(); }

void AtomicFileWriter::discard() {
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
    ::unlink(temp_path_.c_str());
  }
}

void AtomicFileWriter::fail_errno(const std::string& what, int err) {
  discard();
  fail_with_errno(op_, path_, what, err);
}

void AtomicFileWriter::write(const void* data, size_t nbytes) {
  BlockFileSizeSignal guard;
  auto* p = static_cast<const char*>(data);
  while (nbytes > 0) {
    const ssize_t n = ::write(fd_, p, nbytes);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail_errno("write failed", errno);
    if (n == 0) fail_errno("write made no progress", EIO);
    p += n;
    nbytes -= size_t(n);
  }
}

void AtomicFileWriter::commit() {
  if (::fsync(fd_) != 0) fail_errno("fsync failed", errno);
  const int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) {
    const int err = errno;
    ::unlink(temp_path_.c_str());
    fail_with_errno(op_, path_, "close failed", err);
  }
  if (::rename(temp_path_.c_str(), path_.c_str()) != 0) {
    const int err = errno;
    ::unlink(temp_path_.c_str());
    fail_with_errno(op_, path_, "cannot rename " + temp_path_ + " over it", err);
  }
  // The rename is durable only once the directory is synced; the file itself is already complete.
  const int dir = ::open(directory_of(path_).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
}

InputFile::InputFile(std::string path, const char* op) : path_(std::move(path)), op_(op) {
  fd_ = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) fail_with_errno(op_, path_, "cannot open", errno);
  struct stat st;
  if (::fstat(fd_, &st) != 0) {
    const int err = errno;
    ::close(fd_);
    fail_with_errno(op_, path_, "cannot stat", err);
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd_);
    nabla::fail<RuntimeError>(op_, ": ", path_, ": not a regular file");
  }
  size_ = uint64_t(st.st_size);
}

InputFile::~InputFile() { ::close(fd_); }

void InputFile::fail(const std::string& what) const { nabla::fail<RuntimeError>(op_, ": ", path_, ": ", what); }

void InputFile::read_at(uint64_t offset, void* data, size_t nbytes) const {
  auto* p = static_cast<char*>(data);
  while (nbytes > 0) {
    const ssize_t n = ::pread(fd_, p, nbytes, off_t(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail_with_errno(op_, path_, "read failed", errno);
    if (n == 0) fail("the file ended early (was it truncated while being read?)");
    p += n;
    offset += uint64_t(n);
    nbytes -= size_t(n);
  }
}

}  // namespace nabla::io
