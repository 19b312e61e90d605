// A real training job: an MLP 784-256-128-10 (or, with --cnn, a small CNN) on Fashion-MNIST with
// SGD (momentum 0.9, lr 0.1, batch 128) and cross-entropy. Prints a progress bar on a terminal (plain
// lines otherwise), the test accuracy after each epoch, and writes a checkpoint and the loss curve.
//
//   fashion_mnist [--epochs N] [--cnn] [--data DIR] [--out DIR] [--seed S]
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <nabla/nabla.hpp>

namespace nb = nabla;
namespace fs = std::filesystem;

namespace {

struct Options {
  int epochs = 2;
  bool cnn = false;
  std::string data = "/usr/share/datasets/fashion-mnist";
  std::string out = ".";
  uint64_t seed = 0;
};

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&] {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "fashion_mnist: %s needs a value\n", a.c_str());
        std::exit(2);
      }
      return std::string(argv[++i]);
    };
    if (a == "--epochs") o.epochs = std::stoi(value());
    else if (a == "--cnn") o.cnn = true;
    else if (a == "--data") o.data = value();
    else if (a == "--out") o.out = value();
    else if (a == "--seed") o.seed = std::stoull(value());
    else {
      std::fprintf(stderr, "usage: fashion_mnist [--epochs N] [--cnn] [--data DIR] [--out DIR] [--seed S]\n");
      std::exit(2);
    }
  }
  return o;
}

// Images as float32 in [0, 1], shape (N, 1, 28, 28); labels as int64.
std::pair<nb::Tensor, nb::Tensor> load_split(const std::string& dir, const std::string& prefix) {
  nb::Tensor images = nb::read_idx(dir + "/" + prefix + "-images-idx3-ubyte.gz");
  nb::Tensor labels = nb::read_idx(dir + "/" + prefix + "-labels-idx1-ubyte.gz");
  return {(images.to(nb::kFloat32) / 255.0f).unsqueeze(1), labels.to(nb::kInt64)};
}

std::shared_ptr<nb::nn::Sequential> make_model(bool cnn) {
  using namespace nb::nn;
  using Layers = std::vector<std::shared_ptr<Module>>;
  if (cnn) {
    return std::make_shared<Sequential>(Layers{
        std::make_shared<Conv2d>(1, 8, 3, 1, 1), std::make_shared<ReLU>(), std::make_shared<MaxPool2d>(2),
        std::make_shared<Conv2d>(8, 16, 3, 1, 1), std::make_shared<ReLU>(), std::make_shared<MaxPool2d>(2),
        std::make_shared<Flatten>(), std::make_shared<Linear>(16 * 7 * 7, 10)});
  }
  return std::make_shared<Sequential>(Layers{
      std::make_shared<Flatten>(), std::make_shared<Linear>(784, 256), std::make_shared<ReLU>(),
      std::make_shared<Linear>(256, 128), std::make_shared<ReLU>(), std::make_shared<Linear>(128, 10)});
}

double accuracy(nb::nn::Module& model, const nb::Tensor& images, const nb::Tensor& labels) {
  nb::NoGradGuard no_grad;
  model.eval();
  int64_t correct = 0;
  for (int64_t start = 0; start < images.size(0); start += 1000) {
    int64_t n = std::min<int64_t>(1000, images.size(0) - start);
    nb::Tensor predicted = model.forward(images.narrow(0, start, n)).argmax(1);
    correct += predicted.eq(labels.narrow(0, start, n)).sum().item<int64_t>();
  }
  model.train();
  return 100.0 * double(correct) / double(images.size(0));
}

// One status line per batch on a terminal (rewritten in place), every 100 batches otherwise.
void report_progress(int epoch, int64_t batch, int64_t batches, double loss, double images_per_s, double eta_s) {
  static const bool terminal = isatty(STDOUT_FILENO);
  if (terminal) {
    const int width = 30, filled = int(width * (batch + 1) / batches);
    std::printf("\repoch %d [%s%s] %lld/%lld loss %.4f %.0f img/s ETA %.0fs ", epoch, std::string(filled, '=').c_str(),
                std::string(width - filled, ' ').c_str(), (long long)(batch + 1), (long long)batches, loss,
                images_per_s, eta_s);
    std::fflush(stdout);
  } else if ((batch + 1) % 100 == 0 || batch + 1 == batches) {
    std::printf("epoch %d batch %lld/%lld loss %.4f %.0f img/s ETA %.0fs\n", epoch, (long long)(batch + 1),
                (long long)batches, loss, images_per_s, eta_s);
  }
}

void write_atomically(const fs::path& path, const std::string& text) {
  fs::path tmp = path;
  tmp += ".tmp";
  {
    std::ofstream f(tmp);
    f << text;
    if (!f.flush()) throw std::runtime_error("cannot write " + tmp.string());
  }
  fs::rename(tmp, path);
}

}  // namespace

int main(int argc, char** argv) try {
  const Options opt = parse(argc, argv);
  auto [train_x, train_y] = load_split(opt.data, "train");
  auto [test_x, test_y] = load_split(opt.data, "t10k");

  nb::manual_seed(opt.seed);
  auto model = make_model(opt.cnn);
  nb::nn::CrossEntropyLoss criterion;
  nb::optim::SGD optimizer(model->parameters(), nb::optim::SGDOptions{.lr = 0.1, .momentum = 0.9});
  auto dataset = std::make_shared<nb::data::TensorDataset>(std::vector<nb::Tensor>{train_x, train_y});
  nb::data::DataLoader loader(dataset, {.batch_size = 128, .shuffle = true});

  std::string curve = "epoch,batch,loss\n";
  for (int epoch = 1; epoch <= opt.epochs; ++epoch) {
    const auto start = std::chrono::steady_clock::now();
    for (auto it = loader.begin(); it != loader.end(); ++it) {
      const nb::data::Batch& batch = *it;
      nb::Tensor loss = criterion(model->forward(batch[0]), batch[1]);
      optimizer.zero_grad();
      loss.backward();
      optimizer.step();
      const double value = loss.item<double>();
      curve += std::to_string(epoch) + "," + std::to_string(it.batch_index()) + "," + std::to_string(value) + "\n";
      const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      const double done = double(it.batch_index() + 1);
      report_progress(epoch, it.batch_index(), loader.size(), value, done * 128 / elapsed,
                      elapsed / done * double(loader.size() - it.batch_index() - 1));
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (isatty(STDOUT_FILENO)) std::printf("\n");
    std::printf("epoch %d: %.2f s, test accuracy %.2f%%\n", epoch, seconds, accuracy(*model, test_x, test_y));
    std::fflush(stdout);
  }
  const fs::path out = opt.out;
  fs::create_directories(out);
  nb::save(model->state_dict(), (out / "fashion_mnist.safetensors").string());
  write_atomically(out / "fashion_mnist_loss.csv", curve);
  std::printf("wrote %s and %s\n", (out / "fashion_mnist.safetensors").c_str(), (out / "fashion_mnist_loss.csv").c_str());
} catch (const std::exception& e) {
  std::fprintf(stderr, "fashion_mnist: %s\n", e.what());
  return 1;
}
