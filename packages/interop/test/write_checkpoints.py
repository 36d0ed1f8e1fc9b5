"""Writes a random ResNet (seeded) in the four layouts dilo imports, an input batch and PyTorch's
pooled features of it, for the interop tests: python3 write_checkpoints.py OUT_DIR ARCH SEED."""
import collections, json, pickle, sys
import numpy as np
import torch, torchvision

out, arch, seed = sys.argv[1], sys.argv[2], int(sys.argv[3])
torch.manual_seed(seed)
model = getattr(torchvision.models, arch)()
with torch.no_grad():
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            # non-trivial BN statistics, so a wrong name mapping changes the features
            m.weight.uniform_(0.6, 1.0); m.bias.uniform_(-0.1, 0.1)
            m.running_mean.uniform_(-0.1, 0.1); m.running_var.uniform_(0.8, 1.2)
            m.num_batches_tracked.fill_(seed + 7)
model.eval()
sd = model.state_dict()

# torchvision: the plain state_dict, wrapped as many training scripts do
torch.save({'model': sd, 'epoch': 90}, f'{out}/torchvision.pth')

# MoCo v2 layout (legacy serialisation, as the 2020 releases): DDP prefixes, MLP head, key encoder, queue
def moco_dict():
    q = collections.OrderedDict()
    for k, v in sd.items():
        if k.startswith('fc.'):
            continue
        q['module.encoder_q.' + k] = v.clone()
    dim = sd['fc.weight'].shape[1]
    q['module.encoder_q.fc.0.weight'] = torch.randn(dim, dim); q['module.encoder_q.fc.0.bias'] = torch.randn(dim)
    q['module.encoder_q.fc.2.weight'] = torch.randn(128, dim); q['module.encoder_q.fc.2.bias'] = torch.randn(128)
    for k in list(q.keys()):
        q[k.replace('encoder_q', 'encoder_k')] = q[k] + 1.0  # a different key encoder
    q['module.queue'] = torch.randn(128, 16); q['module.queue_ptr'] = torch.zeros(1, dtype=torch.long)
    return q
moco = {'epoch': 200, 'arch': arch, 'state_dict': moco_dict(), 'optimizer': {'state': {}, 'param_groups': [{'lr': 0.03, 'params': [0, 1]}]}}
torch.save(moco, f'{out}/moco.pth.tar', _use_new_zipfile_serialization=False)
torch.save(moco, f'{out}/dilo.pth.tar')

# detectron2: MoCo's detection/convert-pretrain-to-detectron2.py, verbatim logic
newmodel = {}
for k in list(moco['state_dict'].keys()):
    if not k.startswith('module.encoder_q.'):
        continue
    old_k = k
    k = k.replace('module.encoder_q.', '')
    if 'layer' not in k:
        k = 'stem.' + k
    for t in [1, 2, 3, 4]:
        k = k.replace('layer{}'.format(t), 'res{}'.format(t + 1))
    for t in [1, 2, 3]:
        k = k.replace('bn{}'.format(t), 'conv{}.norm'.format(t))
    k = k.replace('downsample.0', 'shortcut')
    k = k.replace('downsample.1', 'shortcut.norm')
    newmodel[k] = moco['state_dict'][old_k].detach().numpy()
with open(f'{out}/detectron2.pkl', 'wb') as f:
    pickle.dump({'model': newmodel, '__author__': 'MOCO', 'matching_heuristics': True}, f)

# the input batch (NCHW float32) and the pooled features PyTorch computes for it
x = torch.randn(2, 3, 64, 64, generator=torch.Generator().manual_seed(seed + 1))
with torch.no_grad():
    backbone = torch.nn.Sequential(*list(model.children())[:-1])
    feats = torch.flatten(backbone(x), 1)
x.numpy().astype('<f4').tofile(f'{out}/input.bin')
feats.numpy().astype('<f4').tofile(f'{out}/features.bin')
print(json.dumps({'arch': arch, 'featureDim': feats.shape[1], 'maxAbsFeature': float(feats.abs().max())}))
