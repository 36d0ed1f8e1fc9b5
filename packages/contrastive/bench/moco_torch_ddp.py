"""PyTorch 1.13 CPU peer of the data-parallel case of `nx run contrastive:bench`: MoCo v2 as the
reference trains it with DistributedDataParallel (facebookresearch/moco main_moco.py +
moco/builder.py): per-process batch, DDP gradient all-reduce (gloo), key images gathered and
shuffled across processes (_batch_shuffle_ddp / _batch_unshuffle_ddp), keys of all processes
enqueued. Started once per rank with torchrun's variables (RANK, WORLD_SIZE, MASTER_ADDR,
MASTER_PORT); runs a fixed number of steps; rank 0 prints one JSON object."""
import datetime, json, os, resource, sys, time
import torch, torch.nn as nn, torch.nn.functional as F, torch.distributed as dist
sys.path.insert(0, os.path.dirname(__file__))
from moco_torch import encoder

@torch.no_grad()
def concat_all_gather(t):
    out = [torch.empty_like(t) for _ in range(dist.get_world_size())]
    dist.all_gather(out, t)
    return torch.cat(out, 0)

def main():
    cfg = json.loads(sys.argv[1])
    torch.set_num_threads(cfg['threads'])
    dist.init_process_group('gloo', init_method='env://', timeout=datetime.timedelta(seconds=120))  # never hang the bench
    rank, world = dist.get_rank(), dist.get_world_size()
    torch.manual_seed(0)
    B, S, K, dim = cfg['batch'], cfg['size'], cfg['queue'], 128
    b = B // world
    q_enc = encoder(cfg['arch'], cfg['width'], cfg['smallStem'], dim)
    k_enc = encoder(cfg['arch'], cfg['width'], cfg['smallStem'], dim)
    k_enc.load_state_dict(q_enc.state_dict())
    for p in k_enc.parameters(): p.requires_grad = False
    q_ddp = nn.parallel.DistributedDataParallel(q_enc)
    queue = F.normalize(torch.randn(dim, K), dim=0)
    ptr = 0
    opt = torch.optim.SGD(q_ddp.parameters(), lr=0.03 * B / 256, momentum=0.9, weight_decay=1e-4)
    g = torch.Generator().manual_seed(rank)
    im_q = torch.randn(b, 3, S, S, generator=g); im_k = torch.randn(b, 3, S, S, generator=g)

    def step():
        nonlocal ptr
        q = F.normalize(q_ddp(im_q), dim=1)
        with torch.no_grad():
            for pq, pk in zip(q_enc.parameters(), k_enc.parameters()):
                pk.data = pk.data * 0.999 + pq.data * 0.001
            # _batch_shuffle_ddp
            x_all = concat_all_gather(im_k)
            idx = torch.randperm(x_all.shape[0])
            dist.broadcast(idx, src=0)
            inv = torch.argsort(idx)
            k = F.normalize(k_enc(x_all[idx.view(world, -1)[rank]]), dim=1)
            # _batch_unshuffle_ddp
            k_all = concat_all_gather(k)[inv]
            k = k_all.view(world, -1, dim)[rank]
        logits = torch.cat([(q * k).sum(1, keepdim=True), q @ queue], 1) / 0.2
        loss = F.cross_entropy(logits, torch.zeros(b, dtype=torch.long))
        opt.zero_grad(); loss.backward(); opt.step()
        queue[:, ptr:ptr + B] = k_all.T; ptr = (ptr + B) % K
        return loss.item()

    for _ in range(2): step()  # warm-up
    dist.barrier()
    steps, t0, c0 = cfg['steps'], time.perf_counter(), time.process_time()
    for _ in range(steps): step()
    dist.barrier()
    dt, cpu = time.perf_counter() - t0, time.process_time() - c0
    # CPU time and memory of all processes
    tot = torch.tensor([cpu, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0], dtype=torch.float64)
    dist.all_reduce(tot)
    if rank == 0:
        print(json.dumps({'peer': 'pytorch-ddp-gloo', 'torch': torch.__version__, 'processes': world, 'threads': torch.get_num_threads(), 'steps': steps,
                          'imgPerSec': B * steps / dt, 'imgPerCpuSec': B * steps / tot[0].item(), 'msPerStep': dt * 1000 / steps, 'peakRssMiB': tot[1].item()}))
    dist.destroy_process_group()

main()
