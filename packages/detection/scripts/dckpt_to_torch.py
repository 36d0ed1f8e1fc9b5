"""Export a dilo pre-training checkpoint (.dckpt) as a MoCo-style PyTorch checkpoint, so that
MoCo's detection/convert-pretrain-to-detectron2.py turns it into detectron2 weights.

usage: python3 dckpt_to_torch.py last.dckpt OUT.pth.tar

Writes {'state_dict': {'module.encoder_q.<torchvision name>': tensor}} (torch layout), the keys
MoCo's main_moco.py saves and its converter reads. The projection head (fc.*) is kept; the
converter drops it.
"""
import json
import os
import struct
import sys

import numpy as np
import torch


def read_dckpt(path):
    with open(path, "rb") as f:
        b = f.read()
    if b[:8] != b"DILOCKPT":
        sys.exit(f"{path}: not a dilo checkpoint (bad magic)")
    (n,) = struct.unpack("<I", b[8:12])
    header = json.loads(b[12:12 + n].decode("utf8"))
    blob = np.frombuffer(b, dtype="<f4", offset=12 + n)
    out = {}
    for t in header["tensors"]:
        size = int(np.prod(t["shape"])) if t["shape"] else 1
        out[t["name"]] = torch.from_numpy(blob[t["offset"]:t["offset"] + size].copy().reshape(t["shape"]))
    return header, out


def main(argv):
    if len(argv) != 3:
        sys.exit(__doc__)
    header, tensors = read_dckpt(argv[1])
    sd = {"module." + k: v for k, v in tensors.items() if k.startswith("encoder_q.")}
    if not sd:
        sys.exit(f"{argv[1]}: no encoder_q.* tensors (not a dilo pre-training checkpoint)")
    torch.save({"state_dict": sd, "dilo_config": header.get("state", {}).get("config")}, argv[2] + ".tmp")
    os.replace(argv[2] + ".tmp", argv[2])


if __name__ == "__main__":
    main(sys.argv)
