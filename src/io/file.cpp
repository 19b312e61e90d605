#include "io/file.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <charconv>
#include <climits>
#include <cstring>
#include <string_view>

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

// The pid in a temporary file name "<prefix><pid>-<counter>", or 0 when `name` is not exactly that.
pid_t temp_file_owner(std::string_view name, std::string_view prefix) {
  if (name.substr(0, prefix.size()) != prefix) return 0;
  name.remove_prefix(prefix.size());
  const char* end = name.data() + name.size();
  long long pid = 0;
  const auto [after_pid, pid_error] = std::from_chars(name.data(), end, pid);
  if (pid_error != std::errc() || pid <= 0 || pid > INT_MAX || after_pid == end || *after_pid != '-') return 0;
  unsigned long long counter = 0;
  const auto [after_counter, counter_error] = std::from_chars(after_pid + 1, end, counter);
  if (counter_error != std::errc() || after_counter != end) return 0;
  return pid_t(pid);
}

// A process killed while saving (SIGKILL, the OOM killer) leaves its temporary file behind, and a
// checkpoint-sized file each time can fill the disk. Before writing, a save removes the temporary
// files for the same target whose process no longer exists; a live process's file (this one's
// included) is never touched. Best effort: a failure here only leaves the stale file. The check
// sees this PID namespace only: a writer in another container sharing the directory looks dead, so
// saving one path from several containers at once is not supported.
void remove_stale_temp_files(const std::string& directory, const std::string& prefix) {
  DIR* dir = ::opendir(directory.c_str());
  if (!dir) return;
  while (const dirent* entry = ::readdir(dir)) {
    const pid_t owner = temp_file_owner(entry->d_name, prefix);
    if (owner > 0 && ::kill(owner, 0) != 0 && errno == ESRCH) ::unlinkat(::dirfd(dir), entry->d_name, 0);
  }
  ::closedir(dir);
}

}  // namespace

void fail_with_errno(const char* op, const std::string& path, const std::string& what, int err) {
  fail<RuntimeError>(op, ": ", path, ": ", what, ": ", std::strerror(err));
}

AtomicFileWriter::AtomicFileWriter(std::string path, const char* op) : path_(std::move(path)), op_(op) {
  NB_CHECK(!path_.empty() && path_.back() != '/', ValueError, op_, ": '", path_, "' is not a file path");
  static std::atomic<uint64_t> counter{0};
  const std::string directory = directory_of(path_), prefix = "." + base_name_of(path_) + ".tmp-";
  remove_stale_temp_files(directory, prefix);
  const std::string stem = directory + "/" + prefix + std::to_string(getpid()) + "-";
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
