"""Convert a torchvision ResNet state_dict (.pth) to the .dckpt container that
`dilo detect train --init imagenet:FILE` reads (format: docs/pretraining.md).

usage: python3 torchvision_to_dckpt.py IN.pth OUT.dckpt
       python3 torchvision_to_dckpt.py --random resnet18 OUT.dckpt   (torchvision's random init, for tests)

Tensors keep torchvision's names (conv1.weight, layer1.0.bn1.running_mean, ...) and torch layout;
'module.' prefixes are stripped, fc.* and num_batches_tracked are dropped.
"""
import hashlib
import json
import struct
import sys

import torch


def convert(state, source):
    if "state_dict" in state:
        state = state["state_dict"]
    tensors = []
    for name, t in state.items():
        if name.startswith("module."):
            name = name[len("module."):]
        if name.startswith("fc.") or name.endswith("num_batches_tracked"):
            continue
        t = t.detach().float().contiguous()
        kind = "conv" if t.dim() == 4 else "linear" if t.dim() == 2 else "vector"
        tensors.append((name, kind, list(t.shape), t.numpy().astype("<f4").tobytes()))
    records, offset = [], 0
    for name, kind, shape, data in tensors:
        records.append({"name": name, "kind": kind, "shape": shape, "offset": offset})
        offset += len(data) // 4
    # The container's hash covers MoCo encoder tensors only (none here): the empty digest.
    header = {"format": "dilo-moco-checkpoint", "version": 1, "state": {"kind": "torchvision-resnet", "source": source},
              "tensors": records, "weightsSha256": hashlib.sha256(b"").hexdigest()}
    js = json.dumps(header).encode("utf8")
    js += b" " * ((8 - (12 + len(js)) % 8) % 8)
    return b"DILOCKPT" + struct.pack("<I", len(js)) + js + b"".join(d for _, _, _, d in tensors)


def main(argv):
    if len(argv) == 4 and argv[1] == "--random":
        import torchvision
        torch.manual_seed(0)
        state, source = getattr(torchvision.models, argv[2])().state_dict(), f"torchvision {argv[2]} random init"
        out = argv[3]
    elif len(argv) == 3:
        state, source, out = torch.load(argv[1], map_location="cpu"), argv[1], argv[2]
    else:
        sys.exit(__doc__)
    with open(out + ".tmp", "wb") as f:
        f.write(convert(state, source))
    import os
    os.replace(out + ".tmp", out)


if __name__ == "__main__":
    main(sys.argv)
