#pragma once
// Everything a program needs: #include <nabla/nabla.hpp>, namespace nabla (nb).
#include "nabla/creation.hpp"
#include "nabla/index.hpp"
#include "nabla/op_table.hpp"
#include "nabla/ops.hpp"
#include "nabla/random.hpp"
#include "nabla/tensor.hpp"
