"""Peer of `nx run augment:bench`: decode + DiLo paste + two MoCo v2 views at 224 with
torchvision 0.14 + PIL, the way facebookresearch/moco's loader does it (PIL images through
torchvision.transforms), with DiLo's copy-paste done on the decoded image as the released
loader does (numpy blend, PIL GaussianBlur(5) on the map with probability 0.5, one grey level
in 0..254). Reads a list of "image<TAB>map" lines; prints one JSON object.

Usage: /usr/bin/python3 torchvision_bench.py LIST --workers N --batch 32 --epochs E --size 224
"""
import argparse
import json
import random
import sys
import time

import numpy as np
import torch
import torchvision.transforms as T
from PIL import Image, ImageFilter


class GaussianBlur(object):
    """moco.loader.GaussianBlur (MoCo v2): PIL GaussianBlur with radius ~ U[0.1, 2]."""

    def __init__(self, sigma=(0.1, 2.0)):
        self.sigma = sigma

    def __call__(self, x):
        sigma = random.uniform(self.sigma[0], self.sigma[1])
        return x.filter(ImageFilter.GaussianBlur(radius=sigma))


def dilo_paste(img, sal, p=0.3, blur_prob=0.5, radius=5):
    """DiLo copy-paste on the full image: a * img + (1 - a) * grey, a = map / 255."""
    if random.random() >= p:
        return img
    if random.random() < blur_prob:
        sal = sal.filter(ImageFilter.GaussianBlur(radius=radius))
    a = np.asarray(sal, dtype=np.float32)[:, :, None] / 255.0
    grey = random.randint(0, 254)
    out = a * np.asarray(img, dtype=np.float32) + (1.0 - a) * grey
    return Image.fromarray(out.astype(np.uint8))


def mocov2(size):
    normalize = T.Normalize(mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225])
    return T.Compose([
        T.RandomResizedCrop(size, scale=(0.2, 1.0)),
        T.RandomApply([T.ColorJitter(0.4, 0.4, 0.4, 0.1)], p=0.8),
        T.RandomGrayscale(p=0.2),
        T.RandomApply([GaussianBlur([0.1, 2.0])], p=0.5),
        T.RandomHorizontalFlip(),
        T.ToTensor(),
        normalize,
    ])


class TwoViewDataset(torch.utils.data.Dataset):
    def __init__(self, pairs, size):
        self.pairs = pairs
        self.aug = mocov2(size)

    def __len__(self):
        return len(self.pairs)

    def __getitem__(self, i):
        image, sal = self.pairs[i]
        img = Image.open(image).convert('RGB')
        m = Image.open(sal).convert('L')
        q = self.aug(dilo_paste(img, m))
        k = self.aug(dilo_paste(img, m))
        return q, k, i


def worker_init(_):
    torch.set_num_threads(1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('list')
    ap.add_argument('--workers', type=int, default=0)
    ap.add_argument('--batch', type=int, default=32)
    ap.add_argument('--epochs', type=int, default=2)
    ap.add_argument('--size', type=int, default=224)
    ap.add_argument('--warmup', type=int, default=2, help='batches not timed')
    a = ap.parse_args()
    torch.set_num_threads(1)
    random.seed(0)
    torch.manual_seed(0)
    pairs = [tuple(line.rstrip('\n').split('\t')) for line in open(a.list) if line.strip()]
    ds = TwoViewDataset(pairs, a.size)
    extra = dict(worker_init_fn=worker_init, persistent_workers=True, prefetch_factor=2) if a.workers > 0 else {}
    dl = torch.utils.data.DataLoader(ds, batch_size=a.batch, shuffle=True, num_workers=a.workers, drop_last=True, **extra)
    n = 0
    seen = 0
    t0 = None
    for _ in range(a.epochs):
        for q, k, _idx in dl:
            assert q.shape == (a.batch, 3, a.size, a.size) and k.shape == q.shape
            seen += 1
            if seen == a.warmup:
                t0 = time.perf_counter()
                c0 = time.process_time()
            elif seen > a.warmup:
                n += q.shape[0]
    s = time.perf_counter() - t0
    cpu = time.process_time() - c0  # this process's threads only (all the work when workers == 0)
    print(json.dumps({'imgPerSec': n / s, 'imgPerCpuSec': n / cpu, 'images': n, 'seconds': s, 'cpuSeconds': cpu, 'workers': a.workers,
                      'torch': torch.__version__, 'torchvision': __import__('torchvision').__version__}))


if __name__ == '__main__':
    sys.exit(main())
