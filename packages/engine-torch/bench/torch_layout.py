# Does the memory layout matter to PyTorch itself? torchvision ResNet-18 small stem, 32x32, batch 32,
# SGD train step, NCHW vs channels-last, 2 threads, two repetitions:  /usr/bin/python3 bench/torch_layout.py
import time, torch, torch.nn as nn, torchvision, sys
torch.set_num_threads(2)
def mk():
    torch.manual_seed(0)
    m = torchvision.models.resnet18(num_classes=10); m.conv1 = nn.Conv2d(3,64,3,1,1,bias=False); m.maxpool = nn.Identity(); return m
x = torch.rand(32,3,32,32)*2-1; y = torch.tensor([(i*7)%10 for i in range(32)])
def bench(m, x):
    opt = torch.optim.SGD(m.parameters(), lr=0.01, momentum=0.9)
    def step():
        opt.zero_grad(); l = nn.functional.cross_entropy(m(x), y); l.backward(); opt.step(); l.item()
    for _ in range(2): step()
    t=time.perf_counter()
    for _ in range(6): step()
    return round((time.perf_counter()-t)/6*1000,1)
for rep in range(2):
    print('contiguous', bench(mk(), x))
    print('channels_last', bench(mk().to(memory_format=torch.channels_last), x.to(memory_format=torch.channels_last)))
