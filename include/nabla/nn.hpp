#pragma once
// torch.nn for C++: modules, layers, losses, functional (nn::F) and init.
#include "nabla/nn/clip_grad.hpp"
#include "nabla/nn/functional.hpp"
#include "nabla/nn/init.hpp"
#include "nabla/nn/loss.hpp"
#include "nabla/nn/module.hpp"
#include "nabla/nn/modules.hpp"
