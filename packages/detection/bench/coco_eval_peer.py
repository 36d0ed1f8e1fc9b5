"""Peer for dilo's COCO evaluator benchmark: time pycocotools on the same files.

Usage: python3 coco_eval_peer.py GT.json DETS.json  ->  one JSON line {seconds, stats}.
"""
import contextlib
import io
import json
import sys
import time

from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

t0 = time.perf_counter()
with contextlib.redirect_stdout(io.StringIO()):
    gt = COCO(sys.argv[1])
    dt = gt.loadRes(sys.argv[2])
    ev = COCOeval(gt, dt, 'bbox')
    ev.evaluate()
    ev.accumulate()
    ev.summarize()
print(json.dumps({'seconds': time.perf_counter() - t0, 'stats': [float(s) for s in ev.stats]}))
