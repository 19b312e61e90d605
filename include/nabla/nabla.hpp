#pragma once
// Everything a program needs: #include <nabla/nabla.hpp>, namespace nabla (nb).
#include "nabla/autograd.hpp"
#include "nabla/creation.hpp"
#include "nabla/data.hpp"
#include "nabla/index.hpp"
#include "nabla/io.hpp"
#include "nabla/nn.hpp"
#include "nabla/op_table.hpp"
#include "nabla/ops.hpp"
#include "nabla/optim.hpp"
#include "nabla/random.hpp"
#include "nabla/state_dict.hpp"
#include "nabla/tensor.hpp"
