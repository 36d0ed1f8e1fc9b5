"""PyTorch 1.13 CPU peer of `nx run contrastive:bench`.
mode 'moco' (default): one MoCo v2 training step as the reference (facebookresearch/moco) does
it on one device: query forward + backward, momentum update, key forward (no grad), InfoNCE
against a queue, SGD(0.9, wd 1e-4), enqueue.
mode 'forward': the backbone's forward pass in inference mode (pooled features, no classifier).
Prints one JSON object: img/s (wall-clock and per CPU-second) and peak RSS."""
import json, resource, sys, time
import torch, torch.nn as nn, torch.nn.functional as F
import torchvision

def encoder(arch, width, small, dim):
    m = getattr(torchvision.models, arch)(num_classes=dim, width_per_group=64) if width == 1 else None
    if m is None:
        # width multiplier: rebuild with scaled planes (torchvision has no such switch)
        from torchvision.models.resnet import ResNet, BasicBlock, Bottleneck
        block, layers = {'resnet18': (BasicBlock, [2, 2, 2, 2]), 'resnet34': (BasicBlock, [3, 4, 6, 3]), 'resnet50': (Bottleneck, [3, 4, 6, 3])}[arch]
        class W(ResNet):
            def __init__(self):
                nn.Module.__init__(self)
                self._norm_layer = nn.BatchNorm2d
                self.inplanes = max(1, round(64 * width)); self.dilation = 1; self.groups = 1; self.base_width = 64
                self.conv1 = nn.Conv2d(3, self.inplanes, 7, 2, 3, bias=False); self.bn1 = nn.BatchNorm2d(self.inplanes)
                self.relu = nn.ReLU(inplace=True); self.maxpool = nn.MaxPool2d(3, 2, 1)
                self.layer1 = self._make_layer(block, max(1, round(64 * width)), layers[0])
                self.layer2 = self._make_layer(block, max(1, round(128 * width)), layers[1], stride=2)
                self.layer3 = self._make_layer(block, max(1, round(256 * width)), layers[2], stride=2)
                self.layer4 = self._make_layer(block, max(1, round(512 * width)), layers[3], stride=2)
                self.avgpool = nn.AdaptiveAvgPool2d(1); self.fc = nn.Linear(max(1, round(512 * width)) * block.expansion, dim)
        m = W()
    if small:
        m.conv1 = nn.Conv2d(3, m.conv1.out_channels, 3, 1, 1, bias=False)
        m.maxpool = nn.Identity()
    d = m.fc.weight.shape[1]
    m.fc = nn.Sequential(nn.Linear(d, d), nn.ReLU(), m.fc)  # MoCo v2 MLP head
    return m

def main():
    cfg = json.loads(sys.argv[1])
    torch.set_num_threads(cfg['threads'])
    torch.manual_seed(0)
    B, S, K, dim = cfg['batch'], cfg['size'], cfg['queue'], 128
    q_enc = encoder(cfg['arch'], cfg['width'], cfg['smallStem'], dim)
    im_q = torch.randn(B, 3, S, S); im_k = torch.randn(B, 3, S, S)
    if cfg.get('mode') == 'forward':
        net = q_enc.eval()
        net.fc = nn.Identity()  # pooled features, as dilo's feature extraction returns
        def fwd():
            with torch.no_grad():
                return net(im_q).sum().item()
        return measure(cfg, fwd)
    k_enc = encoder(cfg['arch'], cfg['width'], cfg['smallStem'], dim)
    k_enc.load_state_dict(q_enc.state_dict())
    for p in k_enc.parameters(): p.requires_grad = False
    queue = F.normalize(torch.randn(dim, K), dim=0)
    ptr = 0
    opt = torch.optim.SGD(q_enc.parameters(), lr=0.03 * B / 256, momentum=0.9, weight_decay=1e-4)
    groups = cfg['keyBnGroups']

    def step():
        nonlocal ptr, queue
        q = F.normalize(q_enc(im_q), dim=1)
        with torch.no_grad():
            for pq, pk in zip(q_enc.parameters(), k_enc.parameters()):
                pk.data = pk.data * 0.999 + pq.data * 0.001
            perm = torch.randperm(B); inv = torch.argsort(perm)
            # single-device shuffling BN, as in the tfjs run: shuffled sub-batches, own statistics
            k = torch.cat([k_enc(c) for c in im_k[perm].chunk(groups)])
            k = F.normalize(k, dim=1)[inv]
        logits = torch.cat([(q * k).sum(1, keepdim=True), q @ queue], 1) / 0.2
        loss = F.cross_entropy(logits, torch.zeros(B, dtype=torch.long))
        opt.zero_grad(); loss.backward(); opt.step()
        queue[:, ptr:ptr + B] = k.T; ptr = (ptr + B) % K
        return loss.item()

    return measure(cfg, step)

def measure(cfg, step):
    B = cfg['batch']
    for _ in range(2):
        step()  # warm-up: oneDNN primitives, allocator
    steps, t0, c0 = 0, time.perf_counter(), time.process_time()
    while steps < cfg['minSteps'] or time.perf_counter() - t0 < cfg['minSeconds']:
        step(); steps += 1
    dt, cpu = time.perf_counter() - t0, time.process_time() - c0
    print(json.dumps({'peer': 'pytorch', 'torch': torch.__version__, 'threads': torch.get_num_threads(), 'steps': steps,
                      'imgPerSec': B * steps / dt, 'imgPerCpuSec': B * steps / cpu, 'msPerStep': dt * 1000 / steps,
                      'peakRssMiB': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))

if __name__ == '__main__':
    main()
