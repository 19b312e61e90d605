#pragma once
// The DataLoader's workers: threads that build the batches of one epoch ahead of the loop that
// consumes them in order. Worker w builds batches w, w + W, w + 2W, ... (PyTorch's round-robin), at
// most `window` batches past the one the loop waits for. Workers beyond the number of batches are not
// started.
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "nabla/data.hpp"

namespace nabla::data {

class Prefetcher {
 public:
  using BuildFn = std::function<Batch(int64_t batch_index)>;
  Prefetcher(int64_t workers, int64_t window, int64_t batches, BuildFn build);
  ~Prefetcher();  // stop()
  Prefetcher(const Prefetcher&) = delete;
  Prefetcher& operator=(const Prefetcher&) = delete;

  // Batch `b` (taken in increasing order), waiting for it; what its build threw is rethrown here.
  Batch take(int64_t b);

 private:
  struct Slot {
    Batch batch;
    std::exception_ptr error;
  };
  void work(int64_t first);
  void stop();  // stops the workers after the batch each is building, and joins them

  const int64_t workers_, window_, batches_;
  const BuildFn build_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::map<int64_t, Slot> ready_;
  int64_t next_ = 0;  // the batch the loop takes next
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace nabla::data
