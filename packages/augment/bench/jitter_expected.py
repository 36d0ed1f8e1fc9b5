"""Expected values for color-jitter.test.ts: torchvision 0.14's functional colour ops on a fixed
float image (values on the 0-255 scale in and out; torchvision works on [0, 1]).
Run: /usr/bin/python3 packages/augment/bench/jitter_expected.py
"""
import json
import torch
import torchvision.transforms.functional as F

# a 2x3 image, HWC 0-255: saturated, grey, dark, bright, mixed pixels
PIX = [[255, 0, 0], [10, 200, 90], [128, 128, 128], [30, 60, 250], [240, 230, 20], [5, 3, 1]]


def tensor():
    t = torch.tensor(PIX, dtype=torch.float32) / 255.0  # 6x3
    return t.t().reshape(3, 2, 3)  # CHW


def out(t):
    return [round(v * 255.0, 4) for v in t.reshape(3, 6).t().reshape(-1).tolist()]


cases = {}
cases['brightness_1.3'] = out(F.adjust_brightness(tensor(), 1.3))
cases['contrast_0.7'] = out(F.adjust_contrast(tensor(), 0.7))
cases['saturation_1.4'] = out(F.adjust_saturation(tensor(), 1.4))
cases['hue_0.1'] = out(F.adjust_hue(tensor(), 0.1))
cases['hue_-0.37'] = out(F.adjust_hue(tensor(), -0.37))
# one ColorJitter order: hue, contrast, brightness, saturation
t = F.adjust_hue(tensor(), 0.05)
t = F.adjust_contrast(t, 1.35)
t = F.adjust_brightness(t, 0.8)
t = F.adjust_saturation(t, 0.6)
cases['order_3_1_0_2'] = out(t)
cases['grayscale'] = out(F.rgb_to_grayscale(tensor(), num_output_channels=3))
print(json.dumps(cases))
