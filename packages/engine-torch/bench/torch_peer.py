# PyTorch peer of bench/worker.ts: same networks, batch, sizes and threads.
#   /usr/bin/python3 bench/torch_peer.py train|forward <threads> <seconds>
# prints one JSON line: { mode, backend, imgPerSec, steps, peakRssMiB }
import json, resource, sys, time
import torch, torch.nn as nn, torchvision

mode, threads, seconds = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
torch.set_num_threads(threads)
torch.manual_seed(0)
if mode == 'train':
    net = torchvision.models.resnet18(num_classes=10)
    net.conv1 = nn.Conv2d(3, 64, 3, 1, 1, bias=False)  # small-image stem
    net.maxpool = nn.Identity()
    batch, size = 32, 32
    net.train()
    opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
    x = torch.rand(batch, 3, size, size) * 2 - 1
    y = torch.tensor([(i * 7) % 10 for i in range(batch)])
    def step():
        opt.zero_grad()
        loss = nn.functional.cross_entropy(net(x), y)
        loss.backward()
        opt.step()
        loss.item()
elif mode == 'forward':
    net = torchvision.models.resnet50(num_classes=1000).eval()
    batch, size = 8, 224
    x = torch.rand(batch, 3, size, size) * 2 - 1
    def step():
        with torch.no_grad():
            net(x).sum().item()
else:
    raise SystemExit(f"mode must be train or forward, got '{mode}'")
for _ in range(2):
    step()
steps, t0, c0 = 0, time.perf_counter(), time.process_time()
while time.perf_counter() - t0 < seconds or steps < 3:
    step()
    steps += 1
sec = time.perf_counter() - t0
cpu_sec = time.process_time() - c0
print(json.dumps({'mode': mode, 'backend': 'pytorch', 'imgPerSec': steps * batch / sec, 'imgPerCpuSec': steps * batch / cpu_sec, 'steps': steps, 'msPerStep': sec * 1000 / steps,
                  'peakRssMiB': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 'threads': torch.get_num_threads(),
                  'torch': torch.__version__}))
