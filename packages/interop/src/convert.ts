/**
 * Import: a PyTorch checkpoint (torchvision / MoCo / DiLo / detectron2 layout, or safetensors with
 * torchvision names) -> a dilo run folder whose checkpoints/last.dckpt holds the backbone as
 * encoder_q.*, which every eval and detect command reads like a pre-training run.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { DiloInputError, Rng, writeFileAtomic } from '@dilo/core';
import { type CheckpointTensor, ParamMap, ResNet, type ResNetArch, type ResNetConfig, resolveConfig, saveCheckpoint, torchShape } from '@dilo/contrastive';
import { type AnyTensor, detectLayout, findStateDict, type ImportLayout, mapLayout } from './layouts';
import { loadTorchFile, type TorchContainer } from './torch-load';
import { readSafetensors } from './safetensors';

export interface ConvertOptions {
  /** the file's layout; 'auto' detects it from the tensor names */
  from: ImportLayout | 'auto';
  input: string;
  out: string;
  /** the image side the model is meant for (recorded as the run's view size) */
  size?: number;
}

export interface ConvertSummary {
  input: string;
  out: string;
  checkpoint: string;
  container: TorchContainer | 'safetensors';
  layout: ImportLayout;
  /** where the state_dict sat in the file (e.g. "state_dict") */
  stateDictPath: string;
  arch: ResNetArch;
  width: number;
  smallStem: boolean;
  tensors: number;
  parameters: number;
  ignored: string[];
  sha256: string;
}

/** ResNet depth, width and stem from the backbone's tensor names and shapes. */
export function inferResNetConfig(shapes: Map<string, number[]>, file: string): ResNetConfig {
  const conv1 = shapes.get('conv1.weight');
  if (!conv1 || conv1.length !== 4) throw new DiloInputError(file, 'no conv1.weight [out, 3, k, k] in the backbone');
  const blocks = [1, 2, 3, 4].map((l) => new Set([...shapes.keys()].filter((n) => n.startsWith(`layer${l}.`)).map((n) => n.split('.')[1])).size);
  const bottleneck = shapes.has('layer1.0.conv3.weight');
  const key = `${bottleneck ? 'bottleneck' : 'basic'} ${blocks.join('-')}`;
  const arch = ({ 'basic 2-2-2-2': 'resnet18', 'basic 3-4-6-3': 'resnet34', 'bottleneck 3-4-6-3': 'resnet50' } as Record<string, ResNetArch>)[key];
  if (!arch) throw new DiloInputError(file, `backbone is a ResNet with ${key} blocks; dilo has ResNet-18/34/50 (basic 2-2-2-2, basic 3-4-6-3, bottleneck 3-4-6-3)`);
  return { arch, width: conv1[0] / 64, smallStem: conv1[2] === 3 };
}

/** The names and torch-layout shapes dilo's ResNet of this config has, in its order. */
export function backboneSpec(config: ResNetConfig): { name: string; kind: 'conv' | 'vector'; shape: number[] }[] {
  const params = new ParamMap();
  try {
    new ResNet(config, params, new Rng(0, ['spec']), false);
    return [...params.params.values(), ...params.buffers.values()].map((e) => ({ name: e.name, kind: e.kind === 'conv' ? 'conv' : 'vector', shape: torchShape(e.kind, e.variable.shape) }));
  } finally {
    params.dispose();
  }
}

async function readTensors(input: string): Promise<{ container: ConvertSummary['container']; stateDictPath: string; tensors: Map<string, AnyTensor> }> {
  if (input.endsWith('.safetensors')) {
    const st = await readSafetensors(input);
    return { container: 'safetensors', stateDictPath: '', tensors: st.tensors };
  }
  const loaded = await loadTorchFile(input);
  let sd;
  try {
    sd = findStateDict(loaded.value, input);
  } catch (err) {
    throw new DiloInputError(input, (err as Error).message.replace(`${input}: `, ''));
  }
  return { container: loaded.container, stateDictPath: sd.path, tensors: sd.tensors };
}

export async function convertCheckpoint(opts: ConvertOptions): Promise<ConvertSummary> {
  const { input } = opts;
  const { container, stateDictPath, tensors } = await readTensors(input);
  const names = [...tensors.keys()];
  const detected = detectLayout(names);
  if (!detected) throw new DiloInputError(input, `no known layout in its ${names.length} tensor names (first: ${names.slice(0, 3).join(', ')}); expected torchvision, MoCo/DiLo or detectron2 ResNet names`);
  const layout = opts.from === 'auto' ? detected : opts.from;
  const compatible = layout === detected || ((layout === 'moco' || layout === 'dilo') && detected === 'moco');
  if (!compatible) throw new DiloInputError(input, `--from ${layout}, but its tensor names look like a ${detected} checkpoint`);
  const mapping = mapLayout(layout, tensors);
  const shapes = new Map(mapping.tensors.map((t) => [t.name, t.tensor.shape]));
  const config = inferResNetConfig(shapes, input);
  const spec = backboneSpec(config);
  const byName = new Map(mapping.tensors.map((t) => [t.name, t]));
  const missing = spec.filter((s) => !byName.has(s.name)).map((s) => s.name);
  if (missing.length) throw new DiloInputError(input, `${layout} checkpoint lacks ${missing.length} backbone tensors of a ${config.arch}: ${missing.slice(0, 8).join(', ')}${missing.length > 8 ? ', ...' : ''}`);
  const out: CheckpointTensor[] = spec.map((s) => {
    const t = byName.get(s.name)!;
    if (t.tensor.shape.join(',') !== s.shape.join(',')) throw new DiloInputError(input, `${t.source} has shape [${t.tensor.shape}], a ${config.arch} (width ${config.width}) needs [${s.shape}]`);
    let data: Float32Array;
    try {
      data = t.tensor.toFloat32(input);
    } catch (err) {
      throw new DiloInputError(input, `${t.source}: ${(err as Error).message.replace(`${input}: `, '')}`);
    }
    return { name: `encoder_q.${s.name}`, kind: s.kind, shape: s.shape, data };
  });
  const sha256 = createHash('sha256').update(await fs.readFile(input)).digest('hex');
  const size = opts.size ?? 224;
  const cfg = resolveConfig({ method: 'mocov2', arch: config.arch, width: config.width, smallStem: config.smallStem, size, epochs: 1, batch: 256, seed: 0 });
  const checkpoint = path.join(opts.out, 'checkpoints', 'last.dckpt');
  await fs.mkdir(path.dirname(checkpoint), { recursive: true });
  const imported = { from: layout, file: path.resolve(input), sha256, container, stateDictPath, ignored: mapping.ignored };
  await saveCheckpoint(checkpoint, { config: cfg, step: 0, epoch: 0, imported }, out);
  const summary: ConvertSummary = {
    input,
    out: opts.out,
    checkpoint,
    container,
    layout,
    stateDictPath,
    arch: config.arch,
    width: config.width,
    smallStem: config.smallStem,
    tensors: out.length,
    parameters: out.reduce((s, t) => s + t.data.length, 0),
    ignored: mapping.ignored,
    sha256,
  };
  await writeFileAtomic(path.join(opts.out, 'import.json'), JSON.stringify(summary, null, 2) + '\n');
  return summary;
}
