"""Expected values for resample.test.ts and box-blur.test.ts: PIL (as torchvision 0.14 uses it)
on small fixed images. PIL rounds to uint8 between passes, so tests allow about one level.
Run: /usr/bin/python3 packages/augment/bench/pil_expected.py
"""
import json
import numpy as np
from PIL import Image, ImageFilter
import torchvision.transforms.functional as F

W, H = 8, 6
rgb = np.array([[[(x * 37 + y * 11) % 256, (x * 5 + y * 41) % 256, (x * y * 13) % 256] for x in range(W)] for y in range(H)], dtype=np.uint8)
img = Image.fromarray(rgb)
cases = {'rgb': rgb.reshape(-1).tolist()}
# F.resized_crop(img, top, left, height, width, size) with PIL bilinear
cases['crop_1_2_4_5_to_9x7'] = np.asarray(F.resized_crop(img, 1, 2, 4, 5, [7, 9])).reshape(-1).tolist()
cases['crop_0_0_6_8_to_3x2'] = np.asarray(F.resized_crop(img, 0, 0, 6, 8, [2, 3])).reshape(-1).tolist()
g = np.zeros((9, 11), dtype=np.uint8)
g[2:6, 3:9] = 200
g[4, 1] = 255
cases['gray'] = g.reshape(-1).tolist()
for s in (0.6, 1.0, 2.0):
    cases[f'blur_{s}'] = np.asarray(Image.fromarray(g).filter(ImageFilter.GaussianBlur(radius=s))).reshape(-1).tolist()
print(json.dumps(cases))
