"""PyTorch peer of dist/bench/phases.js: the MoCo v2 step of moco_torch.py split into its phases
(key-encoder momentum update, key forward, query forward + backward + InfoNCE, SGD), ms per step.
Usage: /usr/bin/python3 bench/moco_torch_phases.py [steps=8]; prints one JSON object."""
import json, os, sys, time
import torch, torch.nn.functional as F

here = os.path.dirname(os.path.abspath(__file__))
src = open(os.path.join(here, 'moco_torch.py')).read().replace('\nmain()\n', '\n')
peer = {}
exec(compile(src, 'moco_torch', 'exec'), peer)

steps = int(sys.argv[1]) if len(sys.argv) > 1 else 8
threads = int(os.environ.get('DILO_THREADS', os.cpu_count()))
torch.set_num_threads(threads)
torch.manual_seed(0)
B, S, K, dim, groups = 32, 32, 4096, 128, 4
q_enc = peer['encoder']('resnet18', 1, True, dim)
k_enc = peer['encoder']('resnet18', 1, True, dim)
k_enc.load_state_dict(q_enc.state_dict())
for p in k_enc.parameters():
    p.requires_grad = False
im_q, im_k = torch.randn(B, 3, S, S), torch.randn(B, 3, S, S)
queue = F.normalize(torch.randn(dim, K), dim=0)
opt = torch.optim.SGD(q_enc.parameters(), lr=0.03 * B / 256, momentum=0.9, weight_decay=1e-4)
ms = dict(momentumUpdate=0.0, keyForward=0.0, queryForwardBackward=0.0, sgd=0.0, total=0.0)

def step(record):
    t0 = time.perf_counter()
    with torch.no_grad():
        for pq, pk in zip(q_enc.parameters(), k_enc.parameters()):
            pk.data = pk.data * 0.999 + pq.data * 0.001
    t1 = time.perf_counter()
    with torch.no_grad():
        perm = torch.randperm(B); inv = torch.argsort(perm)
        k = F.normalize(torch.cat([k_enc(c) for c in im_k[perm].chunk(groups)]), dim=1)[inv]
    t2 = time.perf_counter()
    q = F.normalize(q_enc(im_q), dim=1)
    logits = torch.cat([(q * k).sum(1, keepdim=True), q @ queue], 1) / 0.2
    loss = F.cross_entropy(logits, torch.zeros(B, dtype=torch.long))
    opt.zero_grad(); loss.backward(); loss.item()
    t3 = time.perf_counter()
    opt.step()
    t4 = time.perf_counter()
    if record:
        for key, v in zip(['momentumUpdate', 'keyForward', 'queryForwardBackward', 'sgd', 'total'], [t1 - t0, t2 - t1, t3 - t2, t4 - t3, t4 - t0]):
            ms[key] += v

for _ in range(2):
    step(False)
for _ in range(steps):
    step(True)
print(json.dumps({'peer': 'pytorch', 'threads': threads, 'steps': steps, 'msPerStep': {k: round(v / steps * 1000, 1) for k, v in ms.items()},
                  'imgPerSec': round(B * steps / ms['total'], 2)}))
