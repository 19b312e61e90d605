#include "data/prefetcher.hpp"

#include <algorithm>

#include "core/check.hpp"

namespace nabla::data {

Prefetcher::Prefetcher(int64_t workers, int64_t window, int64_t batches, BuildFn build)
    : workers_(std::min(workers, batches)), window_(window), batches_(batches), build_(std::move(build)) {
  try {
    for (int64_t w = 0; w < workers_; ++w) threads_.emplace_back([this, w] { work(w); });
  } catch (const std::exception& e) {  // the system's thread limit (std::system_error), or memory
    stop();
    fail<RuntimeError>("DataLoader: could not start worker thread ", threads_.size() + 1, " of num_workers=", workers,
                       " (", e.what(), "); use fewer workers");
  }
}

Prefetcher::~Prefetcher() { stop(); }

void Prefetcher::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  for (std::thread& t : threads_) t.join();
}

void Prefetcher::work(int64_t first) {
  for (int64_t b = first; b < batches_; b += workers_) {
    {
      std::unique_lock<std::mutex> lock(mutex_);
      changed_.wait(lock, [&] { return stopping_ || b - next_ < window_; });
      if (stopping_) return;
    }
    Slot slot;
    try {
      slot.batch = build_(b);
    } catch (...) {
      slot.error = std::current_exception();
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      ready_.emplace(b, std::move(slot));
    }
    changed_.notify_all();
  }
}

Batch Prefetcher::take(int64_t b) {
  std::unique_lock<std::mutex> lock(mutex_);
  changed_.wait(lock, [&] { return ready_.count(b) > 0; });
  Slot slot = std::move(ready_.at(b));
  ready_.erase(b);
  next_ = b + 1;
  lock.unlock();
  changed_.notify_all();
  if (slot.error) std::rethrow_exception(slot.error);
  return std::move(slot.batch);
}

}  // namespace nabla::data
