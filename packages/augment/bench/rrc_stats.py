"""Expected statistics for random-resized-crop.test.ts: torchvision 0.14
RandomResizedCrop.get_params(scale=(0.2, 1), ratio=(3/4, 4/3)) over 200k draws per image size.
Run: /usr/bin/python3 packages/augment/bench/rrc_stats.py
"""
import json
import math
import torch
import torchvision.transforms as T

torch.manual_seed(0)
out = {}
for (w, h) in [(224, 224), (500, 375), (64, 300)]:
    img = torch.zeros(1, h, w)
    areas, logr, whole = [], [], 0
    n = 200000
    for _ in range(n):
        i, j, hh, ww = T.RandomResizedCrop.get_params(img, (0.2, 1.0), (3 / 4, 4 / 3))
        areas.append(hh * ww / (h * w))
        logr.append(math.log(ww / hh))
    m = sum(areas) / n
    out[f'{w}x{h}'] = {'meanArea': m, 'sdArea': (sum((a - m) ** 2 for a in areas) / n) ** 0.5,
                       'meanLogRatio': sum(logr) / n, 'sdLogRatio': (sum(r * r for r in logr) / n - (sum(logr) / n) ** 2) ** 0.5}
print(json.dumps(out))
