# The seed's Python examples (seed/000_2c34dc1bcd50a9b0.txt), in order, with `import torch` changed to
# `import nabla as torch` and `torch.manual_seed(0)` added before the model so the losses are reproducible.
# Its output equals the same script's under PyTorch 1.13 (tests/python/test_seed.py runs both).

# 1. NumPy array to tensor
import numpy as np
import nabla as torch

# 定义NumPy数组
arr = np.array([1, 2, 3])

# 将NumPy数组转换为PyTorch张量
tensor = torch.from_numpy(arr)

# 输出PyTorch张量
print(tensor)

# 2. Tensor to NumPy array
import numpy as np
import nabla as torch

# 定义PyTorch张量
tensor = torch.tensor([1, 2, 3])

# 将PyTorch张量转换为NumPy数组
arr = tensor.numpy()

# 输出NumPy数组
print(arr)

# 示例1:使用PyTorch进行线性回归
import numpy as np
import nabla as torch

# 定义训练数据
x_train = np.array([[3.3], [4.4], [5.5], [6.71], [6.93], [.168], [9.779], [6.182], [7.59], [2.167], [7.042], [10.791], [5.313], [7.997], [3.1]], dtype=np.float32)
y_train = np.array([[1.7], [2.76], [2.09], [3.19], [1.694], [1.573], [3.366], [2.596], [2.53], [1.221], [2.827], [3.465], [1.65], [2.904], [1.3]], dtype=np.float32)

# 将训练数据转换为PyTorch张量
x_train = torch.from_numpy(x_train)
y_train = torch.from_numpy(y_train)

# 定义模型
class LinearRegression(torch.nn.Module):
    def __init__(self):
        super(LinearRegression, self).__init__()
        self.linear = torch.nn.Linear(1, 1)

    def forward(self, x):
        out = self.linear(x)
        return out

# 创建模型对象
torch.manual_seed(0)
model = LinearRegression()

# 定义损失函数和优化器
criterion = torch.nn.MSELoss()
optimizer = torch.optim.SGD(model.parameters(), lr=0.01)

# 训练模型
num_epochs = 1000
for epoch in range(num_epochs):
    inputs = x_train
    labels = y_train

    # 前向传播
    outputs = model(inputs)
    loss = criterion(outputs, labels)

    # 反向传播和优化
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()

    if (epoch+1) % 100 == 0:
        print('Epoch [{}/{}], Loss: {:.4f}'.format(epoch+1, num_epochs, loss.item()))

# 测试模型
model.eval()
with torch.no_grad():
    predicted = model(x_train).detach().numpy()
    print(predicted)

# 示例2:使用NumPy进行矩阵乘法
import numpy as np

# 定义两个矩阵
a = np.array([[1, 2], [3, 4]])
b = np.array([[5, 6], [7, 8]])

# 进行矩阵乘法
c = np.dot(a, b)

# 输出结果
print(c)
