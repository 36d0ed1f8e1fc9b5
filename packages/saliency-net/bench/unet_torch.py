"""PyTorch 1.13 CPU peer of `nx run saliency-net:bench`: the same U-Net as @dilo/saliency-net
(two 3x3 conv-BN-ReLU per stage, 2x2 max pooling, 2x2 stride-2 ConvTranspose2d, skip concat,
1x1 head; the same parameter names), the same loss (BCE with logits + BASNet's IoU term) and
SGD(momentum 0.9, wd 1e-4).
mode 'train': training steps; mode 'infer': inference (eval mode, no_grad, sigmoid).
argv[1]: JSON {mode, base, levels, size, batch, threads, seconds}. Prints one JSON object."""
import json, resource, sys, time
import torch, torch.nn as nn, torch.nn.functional as F

def block(cin, cout):
    return nn.Sequential(nn.Conv2d(cin, cout, 3, 1, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True),
                         nn.Conv2d(cout, cout, 3, 1, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))

class UNet(nn.Module):
    def __init__(self, base, levels):
        super().__init__()
        self.levels = levels
        w = [base * 2 ** l for l in range(levels)]
        cin = 3
        for l in range(levels):
            setattr(self, f'enc{l + 1}', block(cin, w[l])); cin = w[l]
        for l in range(levels - 2, -1, -1):
            setattr(self, f'up{l + 1}', nn.ConvTranspose2d(2 * w[l], w[l], 2, 2))
            setattr(self, f'dec{l + 1}', block(2 * w[l], w[l]))
        self.head = nn.Conv2d(w[0], 1, 1)

    def forward(self, x):
        skips = []
        for l in range(self.levels):
            if l > 0: x = F.max_pool2d(x, 2)
            x = getattr(self, f'enc{l + 1}')(x); skips.append(x)
        for l in range(self.levels - 2, -1, -1):
            x = getattr(self, f'dec{l + 1}')(torch.cat([skips[l], getattr(self, f'up{l + 1}')(x)], 1))
        return self.head(x)

def loss_fn(z, t):
    bce = F.binary_cross_entropy_with_logits(z, t)
    p = torch.sigmoid(z)
    inter = (p * t).sum((1, 2, 3)); union = (p + t).sum((1, 2, 3)) - inter
    return bce + (1 - inter / (union + 1e-6)).mean()

def main():
    cfg = json.loads(sys.argv[1])
    torch.set_num_threads(cfg['threads'])
    torch.manual_seed(0)
    net = UNet(cfg['base'], cfg['levels'])
    n, s = cfg['batch'], cfg['size']
    x = torch.randn(n, 3, s, s)
    t = (torch.rand(n, 1, s, s) > 0.5).float()
    opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9, weight_decay=1e-4)
    def step():
        if cfg['mode'] == 'train':
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(net(x), t)
            loss.backward(); opt.step()
            return loss.item()
        with torch.no_grad():
            return torch.sigmoid(net(x)).mean().item()
    if cfg['mode'] == 'train': net.train()
    else: net.eval()
    for _ in range(2): step()
    steps, t0, c0 = 0, time.perf_counter(), time.process_time()
    while time.perf_counter() - t0 < cfg['seconds'] or steps < 3:
        step(); steps += 1
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    print(json.dumps({'imgPerSec': steps * n / wall, 'imgPerCpuSec': steps * n / cpu, 'msPerStep': 1000 * wall / steps, 'steps': steps,
                      'params': sum(p.numel() for p in net.parameters()), 'peakRssMiB': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                      'torch': torch.__version__}))

if __name__ == '__main__':
    main()
