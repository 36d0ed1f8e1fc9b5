import { DiloInputError, DiloUsageError, Rng } from '@dilo/core';
import { loadEncoder, loadParamMap, ParamMap, readCheckpoint, ResNet, type ResNetArch, type ResNetConfig } from '@dilo/contrastive';

/**
 * Backbone initialisation for detection fine-tuning (--init):
 * - `random`: torchvision's init; BN statistics are then calibrated on training images (backbone-c4.ts).
 * - `RUN` or `FILE.dckpt`: a dilo pre-training run (its query encoder, as MoCo's transfer uses).
 * - `imagenet:FILE`: an ImageNet-style backbone: a .dckpt container (docs/pretraining.md) whose
 *   tensors carry torchvision's resnet state_dict names (conv1.weight, bn1.running_mean,
 *   layer1.0.conv1.weight, ...), optionally prefixed `module.` or `encoder_q.`; fc.* is ignored.
 *   scripts/torchvision_to_dckpt.py writes one from a torchvision .pth file.
 */
export type InitSpec = { kind: 'random' } | { kind: 'dilo'; path: string } | { kind: 'imagenet'; file: string };

export function parseInit(s: string): InitSpec {
  if (s === 'random') return { kind: 'random' };
  if (s.startsWith('imagenet:')) {
    const file = s.slice('imagenet:'.length);
    if (!file) throw new DiloUsageError('--init imagenet:FILE needs a file');
    return { kind: 'imagenet', file };
  }
  if (!s) throw new DiloUsageError('--init must be RUN, random or imagenet:FILE');
  return { kind: 'dilo', path: s };
}

export interface InitialBackbone {
  config: ResNetConfig;
  /** null: build fresh (random) */
  params: ParamMap | null;
  /** where the weights came from, for the run's log */
  source: string;
  /** BN statistics must be calibrated (random init) */
  calibrate: boolean;
}

export async function initialBackbone(init: InitSpec, want: { arch?: ResNetArch; width?: number }): Promise<InitialBackbone> {
  if (init.kind === 'random') {
    return { config: { arch: want.arch ?? 'resnet50', width: want.width ?? 1, smallStem: false }, params: null, source: 'random', calibrate: true };
  }
  if (init.kind === 'dilo') {
    const enc = await loadEncoder(init.path);
    if (want.arch && want.arch !== enc.config.arch) throw new DiloUsageError(`--arch ${want.arch} but ${enc.checkpoint} holds a ${enc.config.arch}`);
    if (want.width !== undefined && want.width !== enc.config.width) throw new DiloUsageError(`--width ${want.width} but ${enc.checkpoint} has width ${enc.config.width}`);
    return { config: enc.config, params: enc.backbone.params, source: `${enc.checkpoint} (step ${enc.step})`, calibrate: false };
  }
  const { tensors } = await readCheckpoint(init.file);
  const prefixes = ['', 'module.', 'encoder_q.', 'module.encoder_q.'];
  const prefix = prefixes.find((p) => tensors.has(`${p}conv1.weight`));
  if (prefix === undefined) throw new DiloInputError(init.file, 'no conv1.weight (torchvision resnet names, optionally prefixed module. or encoder_q.)');
  const conv1 = tensors.get(`${prefix}conv1.weight`)!;
  const arch = want.arch ?? (tensors.has(`${prefix}layer1.0.conv3.weight`) ? 'resnet50' : tensors.has(`${prefix}layer1.2.conv1.weight`) ? 'resnet34' : 'resnet18');
  const config: ResNetConfig = { arch, width: conv1.shape[0]! / 64, smallStem: conv1.shape[2] === 3 };
  if (want.width !== undefined && want.width !== config.width) throw new DiloUsageError(`--width ${want.width} but ${init.file} has width ${config.width}`);
  const params = new ParamMap();
  // builds the torchvision-named parameters that loadParamMap then fills
  new ResNet(config, params, new Rng(0, ['imagenet-load']));
  loadParamMap(prefix, params, tensors, init.file);
  return { config, params, source: init.file, calibrate: false };
}
