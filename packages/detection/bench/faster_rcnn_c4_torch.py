"""Peer for the detection training-speed benchmark: a Faster R-CNN C4 built from torchvision 0.14
parts (ResNet stem..layer3 trunk, RPN with the C4 anchors, ROIAlign 14x14, layer4 + mean pool box
head, frozen BN), trained with SGD on the same VOC images, sizes and sampling counts as dilo's run.

usage: python3 faster_rcnn_c4_torch.py VOC_DIR ARCH WIDTH SHORT MAX_SIZE ITERS BATCH RPN_BATCH ROI_BATCH TRAIN_PROPS THREADS
prints one JSON line: {"imgPerSec": ..., "seconds": ..., "iters": ...}
"""
import glob, json, os, sys, time, xml.etree.ElementTree as ET
import torch, torchvision
from torchvision.models.detection import FasterRCNN
from torchvision.models.detection.rpn import AnchorGenerator
from torchvision.ops import MultiScaleRoIAlign, FrozenBatchNorm2d
from torchvision.io import read_image

voc, arch, width, short, max_size, iters, batch, rpn_b, roi_b, props, threads = sys.argv[1:12]
width, short, max_size, iters, batch, rpn_b, roi_b, props, threads = float(width), int(short), int(max_size), int(iters), int(batch), int(rpn_b), int(roi_b), int(props), int(threads)
torch.set_num_threads(threads)
torch.manual_seed(0)
CLASSES = ['aeroplane', 'bicycle', 'bird', 'boat', 'bottle', 'bus', 'car', 'cat', 'chair', 'cow', 'diningtable', 'dog', 'horse', 'motorbike', 'person', 'pottedplant', 'sheep', 'sofa', 'train', 'tvmonitor']

def widened(c):
    return max(1, round(c * width))

# torchvision's ResNet takes width_per_group only for bottlenecks; scale all widths via a custom builder.
if arch == 'resnet18':
    block, layers = torchvision.models.resnet.BasicBlock, [2, 2, 2, 2]
else:
    block, layers = torchvision.models.resnet.Bottleneck, [3, 4, 6, 3]
class WideResNet(torchvision.models.ResNet):
    def __init__(self):
        super().__init__(block, layers, norm_layer=FrozenBatchNorm2d)
        if width != 1:
            self.inplanes = widened(64)
            self.conv1 = torch.nn.Conv2d(3, self.inplanes, 7, 2, 3, bias=False)
            self.bn1 = FrozenBatchNorm2d(self.inplanes)
            self.layer1 = self._make_layer(block, widened(64), layers[0])
            self.layer2 = self._make_layer(block, widened(128), layers[1], stride=2)
            self.layer3 = self._make_layer(block, widened(256), layers[2], stride=2)
            self.layer4 = self._make_layer(block, widened(512), layers[3], stride=2)
r = WideResNet()
trunk = torch.nn.Sequential(r.conv1, r.bn1, r.relu, r.maxpool, r.layer1, r.layer2, r.layer3)
trunk.out_channels = r.layer3[-1].conv2.out_channels if arch == 'resnet18' else r.layer3[-1].conv3.out_channels
res5_ch = r.layer4[-1].conv2.out_channels if arch == 'resnet18' else r.layer4[-1].conv3.out_channels
class Res5Head(torch.nn.Module):
    def __init__(self):
        super().__init__(); self.res5 = r.layer4
    def forward(self, x):
        return self.res5(x).mean(dim=(2, 3))
model = FasterRCNN(trunk, num_classes=len(CLASSES) + 1, min_size=short, max_size=max_size,
                   rpn_anchor_generator=AnchorGenerator(sizes=((32, 64, 128, 256, 512),), aspect_ratios=((0.5, 1.0, 2.0),)),
                   rpn_pre_nms_top_n_train=12000, rpn_post_nms_top_n_train=props, rpn_batch_size_per_image=rpn_b,
                   box_roi_pool=MultiScaleRoIAlign(['0'], 14, 0), box_head=Res5Head(), representation_size=res5_ch,
                   box_batch_size_per_image=roi_b)
model.roi_heads.box_predictor = torchvision.models.detection.faster_rcnn.FastRCNNPredictor(res5_ch, len(CLASSES) + 1)
model.train()
samples = []
for xml in sorted(glob.glob(os.path.join(voc, 'Annotations', '*.xml'))):
    t = ET.parse(xml)
    boxes, labels = [], []
    for o in t.findall('object'):
        b = o.find('bndbox')
        boxes.append([float(b.find('xmin').text) - 1, float(b.find('ymin').text) - 1, float(b.find('xmax').text), float(b.find('ymax').text)])
        labels.append(CLASSES.index(o.find('name').text) + 1)
    samples.append((os.path.join(voc, 'JPEGImages', t.find('filename').text), torch.tensor(boxes), torch.tensor(labels)))
opt = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.001, momentum=0.9, weight_decay=1e-4)
def step(i):
    imgs, tg = [], []
    for b in range(batch):
        f, boxes, labels = samples[(i * batch + b) % len(samples)]
        imgs.append(read_image(f).float() / 255)
        tg.append({'boxes': boxes, 'labels': labels})
    loss = sum(model(imgs, tg).values())
    opt.zero_grad(); loss.backward(); opt.step()
step(0)  # warm-up, not timed
t0 = time.time()
for i in range(1, iters + 1):
    step(i)
s = time.time() - t0
print(json.dumps({'imgPerSec': iters * batch / s, 'seconds': s, 'iters': iters}))
