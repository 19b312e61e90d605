// The seed's example 1: linear regression with Linear(1, 1), MSELoss and SGD(lr=0.01), 1000 epochs,
// the loss every 100 epochs, then predictions in eval mode without gradients. With manual_seed(0)
// before the model is made, the loss lines equal PyTorch 1.13's for the same script.
#include <cstdio>
#include <iostream>

#include <nabla/nabla.hpp>

namespace nb = nabla;

struct LinearRegression : nb::nn::Module {
  std::shared_ptr<nb::nn::Linear> linear = register_module("linear", std::make_shared<nb::nn::Linear>(1, 1));
  nb::Tensor forward(const nb::Tensor& x) { return linear->forward(x); }
};

int main() {
  nb::Tensor x_train = nb::tensor({{3.3f}, {4.4f}, {5.5f}, {6.71f}, {6.93f}, {.168f}, {9.779f}, {6.182f}, {7.59f},
                                   {2.167f}, {7.042f}, {10.791f}, {5.313f}, {7.997f}, {3.1f}});
  nb::Tensor y_train = nb::tensor({{1.7f}, {2.76f}, {2.09f}, {3.19f}, {1.694f}, {1.573f}, {3.366f}, {2.596f}, {2.53f},
                                   {1.221f}, {2.827f}, {3.465f}, {1.65f}, {2.904f}, {1.3f}});

  nb::manual_seed(0);
  auto model = std::make_shared<LinearRegression>();
  nb::nn::MSELoss criterion;
  nb::optim::SGD optimizer(model->parameters(), /*lr=*/0.01);

  const int num_epochs = 1000;
  for (int epoch = 0; epoch < num_epochs; ++epoch) {
    nb::Tensor outputs = model->forward(x_train);
    nb::Tensor loss = criterion(outputs, y_train);

    optimizer.zero_grad();
    loss.backward();
    optimizer.step();

    if ((epoch + 1) % 100 == 0) std::printf("Epoch [%d/%d], Loss: %.4f\n", epoch + 1, num_epochs, loss.item<double>());
  }

  model->eval();
  nb::NoGradGuard no_grad;
  nb::np::ndarray predicted = model->forward(x_train).detach().numpy();
  std::cout << predicted << "\n";  // NumPy's print(predicted), as in the seed
}
