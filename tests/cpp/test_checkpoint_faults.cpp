// Checkpoints under faults (issue 6, "nothing lost"): a saving process killed with SIGKILL at random
// moments, a filesystem that fills up mid-write, and checkpoints that do not fit the model. After
// each, the file on disk (or the model) must be exactly one complete version, never a mixture.
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <functional>
#include <random>
#include <thread>

#include "nabla/autograd.hpp"
#include "nabla/io.hpp"
#include "nabla/nn.hpp"
#include "oracle.hpp"
#include "test_support.hpp"

namespace nb = nabla;
namespace nn = nabla::nn;
namespace fs = std::filesystem;
using test_support::listing;
using test_support::raises;
using test_support::same_bits;
using test_support::read_bytes;
using test_support::write_bytes;

namespace {

// The same keys in the same order, every tensor bit-equal.
::testing::AssertionResult same_dict(const nb::StateDict& actual, const nb::StateDict& expected) {
  if (actual.keys() != expected.keys()) return ::testing::AssertionFailure() << "the keys differ";
  for (const auto& [key, t] : expected)
    if (auto same = same_bits(actual.at(key), t); !same) return ::testing::AssertionFailure() << key << ": " << same.message();
  return ::testing::AssertionSuccess();
}

struct Checkpoint {
  nb::StateDict tensors;
  std::map<std::string, std::string> metadata;
};

// A few MB of model-like tensors. They are contiguous and on the CPU, so save copies nothing and
// runs no parallel kernel: it is safe to call in a child forked from a process with OpenMP threads.
Checkpoint make_checkpoint(int64_t width, uint64_t seed) {
  Checkpoint c;
  c.tensors.insert("encoder.weight", oracle::random_tensor({width, 1024}, nb::kFloat32, seed));
  c.tensors.insert("encoder.bias", oracle::random_tensor({width}, nb::kFloat32, seed + 1));
  c.tensors.insert("head.weight", oracle::random_tensor({10, width}, nb::kFloat64, seed + 2));
  c.tensors.insert("step", nb::tensor({int(seed)}, nb::kInt64));
  c.metadata = {{"epoch", std::to_string(seed)}};
  return c;
}

// The pid of a process that has exited and been reaped: no process has it (until pids wrap around).
pid_t pid_of_exited_process() {
  const pid_t pid = fork();
  if (pid == 0) _exit(0);
  waitpid(pid, nullptr, 0);
  return pid;
}

// Forks a process that saves `c` to `path` over and over until it is killed. The child runs only
// the saves and _exit, never the rest of the test runner; it exits with 1 if a save fails.
pid_t start_saving_forever(const Checkpoint& c, const std::string& path) {
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid != 0) return pid;
  prctl(PR_SET_PDEATHSIG, SIGKILL);  // should the test process die first
  if (getppid() != parent) _exit(1);
  try {
    for (;;) nb::save(c.tensors, path, c.metadata);
  } catch (...) {
    _exit(1);
  }
}

using CheckpointFaults = test_support::TempDirTest;

}  // namespace

// Runtime about 2 s (30 rounds of a 2-3 MB save with fsync, a fork, a kill and a load).
TEST_F(CheckpointFaults, SigkillDuringSaveLeavesOldOrNewFile) {
  using Micros = std::chrono::duration<double, std::micro>;
  const std::string file = dir_ + "/model.safetensors";
  const Checkpoint old_ckpt = make_checkpoint(512, 1), new_ckpt = make_checkpoint(768, 2);
  nb::save(new_ckpt.tensors, file, new_ckpt.metadata);
  const std::string new_bytes = read_bytes(file);
  const auto start = std::chrono::steady_clock::now();
  nb::save(old_ckpt.tensors, file, old_ckpt.metadata);
  const double save_us = std::max(Micros(std::chrono::steady_clock::now() - start).count(), 200.0);
  const std::string old_bytes = read_bytes(file);

  // Half the kills come 1 µs to one save's time after the fork, spread on a log scale (before the
  // child runs, while it writes its first file, in its fsync or rename); half come one to four
  // saves' time after it, when it has usually replaced the file at least once.
  std::mt19937_64 rng(6);
  std::uniform_real_distribution<double> log_early(0, std::log(save_us)), late(save_us, 4 * save_us);
  const std::string temp_prefix = ".model.safetensors.tmp-";
  int kept_old = 0, got_new = 0, killed_mid_write = 0;
  for (int round = 0; round < 30; ++round) {
    const double delay_us = round % 2 ? std::exp(log_early(rng)) : late(rng);
    SCOPED_TRACE("round " + std::to_string(round) + ", killed " + std::to_string(delay_us) + " us after the fork");
    // Each round starts from the old checkpoint; this save also removes the temporary file that the
    // previous round's killed process left.
    nb::save(old_ckpt.tensors, file, old_ckpt.metadata);
    ASSERT_EQ(listing(dir_), std::vector<std::string>{"model.safetensors"});

    const pid_t child = start_saving_forever(new_ckpt, file);
    ASSERT_GT(child, 0);
    std::this_thread::sleep_for(Micros(delay_us));
    ASSERT_EQ(kill(child, SIGKILL), 0);
    int status = 0;
    ASSERT_EQ(waitpid(child, &status, 0), child);
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "the saving process ended by itself, status " << status;

    // Beside the checkpoint, at most the killed process's one temporary file.
    std::vector<std::string> names = listing(dir_);
    ASSERT_TRUE(std::count(names.begin(), names.end(), "model.safetensors") == 1);
    names.erase(std::find(names.begin(), names.end(), "model.safetensors"));
    ASSERT_LE(names.size(), 1u);
    if (!names.empty()) {
      EXPECT_EQ(names[0].rfind(temp_prefix + std::to_string(child) + "-", 0), 0u) << names[0];
      ++killed_mid_write;
    }

    const std::string bytes = read_bytes(file);
    const bool is_old = bytes == old_bytes;
    ASSERT_TRUE(is_old || bytes == new_bytes) << "the file has " << bytes.size() << " bytes and is neither the old checkpoint ("
                                              << old_bytes.size() << " bytes) nor the new one (" << new_bytes.size() << ")";
    const Checkpoint& expected = is_old ? old_ckpt : new_ckpt;
    std::map<std::string, std::string> metadata;
    EXPECT_TRUE(same_dict(nb::load(file, &metadata), expected.tensors));
    EXPECT_EQ(metadata, expected.metadata);
    ++(is_old ? kept_old : got_new);
  }
  nb::save(old_ckpt.tensors, file, old_ckpt.metadata);
  EXPECT_EQ(listing(dir_), std::vector<std::string>{"model.safetensors"});
  // Nearly every kill after the child starts lands while its temporary file exists; without any,
  // the rounds above tested nothing.
  EXPECT_GT(killed_mid_write, 0);
  std::cout << "[ kills ] " << killed_mid_write << " of 30 mid-write; the file was the old checkpoint " << kept_old
            << " times, the new one " << got_new << " times (one save: " << int(save_us) << " us)\n";
}

TEST_F(CheckpointFaults, SaveRemovesTempFilesOfDeadProcessesOnly) {
  const std::string dead = std::to_string(pid_of_exited_process()), prefix = ".model.safetensors.tmp-";
  const std::vector<std::string> stale = {prefix + dead + "-0", prefix + dead + "-17"};
  std::vector<std::string> kept = {
      prefix + std::to_string(getpid()) + "-99",  // this process is alive (another thread may be saving)
      prefix + "1-0",                             // so is pid 1
      ".other.safetensors.tmp-" + dead + "-0",    // another checkpoint's
      // Not the temporary-file pattern: pid 0 and negative pids name process groups for kill().
      prefix + "0-0", prefix + "-" + dead + "-0", prefix + "99999999999-0", prefix + dead, prefix + dead + "-",
      prefix + dead + "-0.bak", prefix + dead + "-x", "model.safetensors.tmp-" + dead + "-0", "model.safetensors"};
  for (const auto& names : {stale, kept})
    for (const std::string& name : names) write_bytes(dir_ + "/" + name, "partial");

  nb::StateDict dict;
  dict.insert("w", oracle::random_tensor({4}, nb::kFloat32, 5));
  nb::save(dict, dir_ + "/model.safetensors");
  std::sort(kept.begin(), kept.end());
  EXPECT_EQ(listing(dir_), kept);
  EXPECT_TRUE(same_dict(nb::load(dir_ + "/model.safetensors"), dict));
}

namespace {

// A 1 MiB tmpfs mounted on a fresh directory for as long as this lives: a disk that really fills.
class SmallTmpfs {
 public:
  SmallTmpfs() {
    char pattern[] = "/tmp/nabla-tmpfs-XXXXXX";
    if (!mkdtemp(pattern)) {
      error_ = std::strerror(errno);
      return;
    }
    dir_ = pattern;
    if (::mount("tmpfs", dir_.c_str(), "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=1m") == 0) mounted_ = true;
    else error_ = std::strerror(errno);
  }
  ~SmallTmpfs() {
    if (mounted_) ::umount2(dir_.c_str(), MNT_DETACH);  // detached: unmounts even if a file is still open
    if (!dir_.empty()) ::rmdir(dir_.c_str());
  }
  SmallTmpfs(const SmallTmpfs&) = delete;
  SmallTmpfs& operator=(const SmallTmpfs&) = delete;
  bool mounted() const { return mounted_; }
  const std::string& error() const { return error_; }
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_, error_;
  bool mounted_ = false;
};

}  // namespace

TEST(CheckpointFullDisk, FailedSaveLeavesPreviousFileAndFreesItsSpace) {
  SmallTmpfs disk;
  if (!disk.mounted()) GTEST_SKIP() << "cannot mount a 1 MiB tmpfs (" << disk.error() << "); this test needs root or CAP_SYS_ADMIN";
  const std::string file = disk.dir() + "/model.safetensors";
  nb::StateDict old_dict;
  old_dict.insert("w", oracle::random_tensor({256}, nb::kFloat32, 3));
  nb::save(old_dict, file, {{"epoch", "1"}});
  const std::string old_bytes = read_bytes(file);

  // 2 MiB on a 1 MiB filesystem: the write fails with ENOSPC partway through.
  nb::StateDict big;
  big.insert("w", oracle::random_tensor({512 * 1024}, nb::kFloat32, 4));
  EXPECT_TRUE(raises<nb::RuntimeError>([&] { nb::save(big, file); }, {"save: " + file + ": write failed: No space left on device"}));
  EXPECT_EQ(read_bytes(file), old_bytes);
  std::map<std::string, std::string> metadata;
  EXPECT_TRUE(same_dict(nb::load(file, &metadata), old_dict));
  EXPECT_EQ(metadata, (std::map<std::string, std::string>{{"epoch", "1"}}));
  EXPECT_EQ(listing(disk.dir()), std::vector<std::string>{"model.safetensors"});

  // The failed save's space is free again, and so is a dead saver's leftover: 640 KiB of it plus
  // the 512 KiB checkpoint below would not fit, so this save succeeds only because it removes it first.
  const std::string leftover = disk.dir() + "/.model.safetensors.tmp-" + std::to_string(pid_of_exited_process()) + "-0";
  write_bytes(leftover, std::string(640 * 1024, 'x'));
  ASSERT_EQ(fs::file_size(leftover), 640u * 1024);
  nb::StateDict fits;
  fits.insert("w", oracle::random_tensor({128 * 1024}, nb::kFloat32, 5));
  nb::save(fits, file);
  EXPECT_TRUE(same_dict(nb::load(file), fits));
  EXPECT_EQ(listing(disk.dir()), std::vector<std::string>{"model.safetensors"});
}

namespace {

// Two linear layers with a BatchNorm between them: float32 parameters, float32 and int64 buffers,
// all but the step count different for each seed (the BatchNorm's affine parameters start as ones
// and zeros, so they are set; one training-mode forward moves the running statistics).
std::shared_ptr<nn::Sequential> make_model(uint64_t seed) {
  nb::manual_seed(seed);
  auto norm = std::make_shared<nn::BatchNorm1d>(3);
  auto model = std::make_shared<nn::Sequential>(std::initializer_list<std::shared_ptr<nn::Module>>{
      std::make_shared<nn::Linear>(4, 3), norm, std::make_shared<nn::ReLU>(), std::make_shared<nn::Linear>(3, 2)});
  nb::NoGradGuard no_grad;
  norm->weight.copy_(oracle::random_tensor({3}, nb::kFloat32, seed + 10));
  norm->bias.copy_(oracle::random_tensor({3}, nb::kFloat32, seed + 20));
  model->forward(oracle::random_tensor({5, 4}, nb::kFloat32, seed));
  return model;
}

nb::StateDict copy_of(const nb::StateDict& dict) {
  nb::StateDict out;
  for (const auto& [key, t] : dict) out.insert(key, t.clone());
  return out;
}

}  // namespace

TEST_F(CheckpointFaults, MismatchedCheckpointRaisesNamingKeyAndLeavesModelUnchanged) {
  // The checkpoint comes from another model of the same architecture, so every entry differs from
  // the model's: any partial copy before the error would show.
  const std::string good_file = dir_ + "/good.safetensors", bad_file = dir_ + "/bad.safetensors";
  nb::save(make_model(2)->state_dict(), good_file);
  struct Case {
    const char* what;
    std::function<void(nb::StateDict&)> change;
    bool strict;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"shape", [](nb::StateDict& d) { d.insert("0.weight", nb::zeros({3, 5})); }, true,
       "size mismatch for 0.weight: copying a param with shape [3, 5] from checkpoint, the shape in current model is [3, 4]."},
      {"shape, not strict", [](nb::StateDict& d) { d.insert("3.bias", nb::zeros({3})); }, false, "size mismatch for 3.bias"},
      {"parameter dtype", [](nb::StateDict& d) { d.insert("3.weight", d.at("3.weight").to(nb::kFloat64)); }, true,
       "dtype mismatch for 3.weight: copying a param with dtype float64 from checkpoint, the dtype in current model is float32"},
      {"buffer dtype, not strict", [](nb::StateDict& d) { d.insert("1.num_batches_tracked", d.at("1.num_batches_tracked").to(nb::kInt32)); },
       false, "dtype mismatch for 1.num_batches_tracked: copying a param with dtype int32 from checkpoint, the dtype in current model is int64"},
      {"missing key", [](nb::StateDict& d) { d.erase("1.running_var"); }, true, "Missing key(s) in state_dict: \"1.running_var\"."},
      {"unexpected key", [](nb::StateDict& d) { d.insert("3.scale", nb::ones({2})); }, true, "Unexpected key(s) in state_dict: \"3.scale\"."},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    auto model = make_model(1);
    const nb::StateDict before = copy_of(model->state_dict());
    nb::StateDict checkpoint = nb::load(good_file);
    c.change(checkpoint);
    nb::save(checkpoint, bad_file);
    const nb::StateDict loaded = nb::load(bad_file);
    EXPECT_TRUE(raises<nb::RuntimeError>([&] { model->load_state_dict(loaded, c.strict); },
                                         {"Error(s) in loading state_dict for Sequential:\n\t", c.message}));
    EXPECT_TRUE(same_dict(model->state_dict(), before));
  }

  // The control: the good checkpoint does change every entry.
  auto model = make_model(1);
  const nb::StateDict good = nb::load(good_file);
  for (const auto& [key, t] : good)
    if (key != "1.num_batches_tracked") EXPECT_FALSE(same_bits(model->state_dict().at(key), t)) << key;
  model->load_state_dict(good);
  EXPECT_TRUE(same_dict(model->state_dict(), good));
}
