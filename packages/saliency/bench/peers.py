"""Peers for `nx run saliency:bench`, on one core: OpenCV's saliency module (spectral residual,
fine-grained) and scikit-image SLIC, timed on the same images (decode excluded). Maps are written
as 8-bit PNG so the TypeScript bench scores them with the same metrics. Prints one JSON line."""
import json
import os
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
import cv2  # noqa: E402
import numpy as np  # noqa: E402
from skimage.segmentation import slic  # noqa: E402

cv2.setNumThreads(1)


def to_u8(m):
    m = m.astype(np.float64)
    lo, hi = float(m.min()), float(m.max())
    if hi > lo:
        m = (m - lo) / (hi - lo)
    else:
        m = np.zeros_like(m)
    return np.round(m * 255).astype(np.uint8)


def main():
    images_dir, out_dir = sys.argv[1], sys.argv[2]
    names = sorted(f for f in os.listdir(images_dir) if f.lower().endswith((".jpg", ".png")))
    imgs = [cv2.imread(os.path.join(images_dir, f), cv2.IMREAD_COLOR) for f in names]
    result = {"n": len(imgs), "cv2": cv2.__version__}
    for key, make in (("opencvSR", cv2.saliency.StaticSaliencySpectralResidual_create),
                      ("opencvFineGrained", cv2.saliency.StaticSaliencyFineGrained_create)):
        algo = make()
        os.makedirs(os.path.join(out_dir, key), exist_ok=True)
        maps = []
        algo.computeSaliency(imgs[0])  # warm-up
        t = time.perf_counter()
        for im in imgs:
            ok, m = algo.computeSaliency(im)
            maps.append(m)
        dt = time.perf_counter() - t
        for f, m in zip(names, maps):
            cv2.imwrite(os.path.join(out_dir, key, os.path.splitext(f)[0] + ".png"), to_u8(m))
        result[key] = {"imagesPerSecond": len(imgs) / dt}
    # scikit-image SLIC with the superpixel size of the RBD/GS code (600 px), its default compactness on Lab
    rgb = [cv2.cvtColor(im, cv2.COLOR_BGR2RGB) for im in imgs]
    slic(rgb[0], n_segments=max(1, rgb[0].shape[0] * rgb[0].shape[1] // 600), start_label=0)
    t = time.perf_counter()
    for im in rgb:
        slic(im, n_segments=max(1, im.shape[0] * im.shape[1] // 600), compactness=10, start_label=0)
    result["skimageSlic"] = {"imagesPerSecond": len(rgb) / (time.perf_counter() - t)}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
