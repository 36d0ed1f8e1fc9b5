"""Score cases with pycocotools (COCO, loadRes, COCOeval) for dilo's parity test.

Usage: python3 coco_parity_ref.py CASES.json  ->  prints a JSON list with the 12 stats of each case.
CASES.json: [{"gt": path, "dets": path, "iouType": "bbox" | "segm"}, ...]
"""
import contextlib
import io
import json
import sys

from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

out = []
for case in json.load(open(sys.argv[1])):
    with contextlib.redirect_stdout(io.StringIO()):  # pycocotools prints progress
        gt = COCO(case['gt'])
        dt = gt.loadRes(case['dets'])
        ev = COCOeval(gt, dt, case['iouType'])
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    out.append([float(s) for s in ev.stats])
print(json.dumps(out))
