import { createHash } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { DiloInputError, Rng, tf } from '@dilo/core';
import { type CheckpointTensor, fromTorchLayout, loadParamMap, type ParamKind, paramMapTensors, readCheckpoint, saveCheckpoint, type Sgd } from '@dilo/contrastive';
import { type DetectorConfig, FasterRcnn } from '../model/faster-rcnn';

/**
 * Detector checkpoints reuse @dilo/contrastive's container (.dckpt: magic, JSON header, float32
 * blob, torch-layout tensors) with the tensors named backbone.<torchvision name>,
 * heads.<detector name> and optimizer.momentum_buffer.<trainable name>. The header's state holds
 * kind 'dilo-faster-rcnn', the detector config, the step and the SHA-256 of every tensor (the
 * container's own hash covers only MoCo encoder tensors).
 */
export const DETECTOR_KIND = 'dilo-faster-rcnn';

export interface DetectorState {
  kind: typeof DETECTOR_KIND;
  config: DetectorConfig;
  classNames: string[];
  /** COCO category id per class (COCO training data) */
  categoryIds?: (number | string)[];
  /** iterations done */
  step: number;
  /** the training options, for --resume */
  train: Record<string, unknown>;
  detectorSha256?: string;
}

function hashTensors(tensors: readonly CheckpointTensor[]): string {
  const h = createHash('sha256');
  for (const t of tensors) {
    h.update(t.name);
    h.update(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
  }
  return h.digest('hex');
}

export function lastDetectorCheckpoint(run: string): string {
  return path.join(run, 'checkpoints', 'last.dckpt');
}

export async function saveDetector(file: string, model: FasterRcnn, sgd: Sgd | null, state: Omit<DetectorState, 'kind' | 'detectorSha256'>): Promise<void> {
  const tensors = [...paramMapTensors('backbone.', model.backbone.params), ...paramMapTensors('heads.', model.heads)];
  if (sgd) {
    const kinds = kindsOf(model);
    for (const [name, buf] of sgd.buffers) {
      const kind = kinds.get(name)!;
      const t = kind === 'conv' ? tf.transpose(buf, [3, 2, 0, 1]) : kind === 'linear' ? tf.transpose(buf, [1, 0]) : buf.clone();
      tensors.push({ name: `optimizer.momentum_buffer.${name}`, kind, shape: t.shape, data: t.dataSync() as Float32Array });
      t.dispose();
    }
  }
  await saveCheckpoint(file, { ...state, kind: DETECTOR_KIND, detectorSha256: hashTensors(tensors) }, tensors);
}

function kindsOf(model: FasterRcnn): Map<string, ParamKind> {
  const kinds = new Map<string, ParamKind>();
  for (const [n, e] of model.backbone.params.params) kinds.set(`backbone.${n}`, e.kind);
  for (const [n, e] of model.heads.params) kinds.set(`heads.${n}`, e.kind);
  return kinds;
}

export interface LoadedDetector {
  model: FasterRcnn;
  state: DetectorState;
  file: string;
  /** optimizer momentum buffers by trainable name, internal layout (empty when not saved) */
  momentum: Map<string, tf.Tensor>;
}

/** A detector run folder (its checkpoints/last.dckpt) or a .dckpt file written by saveDetector. */
export async function loadDetector(runOrFile: string): Promise<LoadedDetector> {
  const file = existsSync(runOrFile) && statSync(runOrFile).isDirectory() ? lastDetectorCheckpoint(runOrFile) : runOrFile;
  if (!existsSync(file)) throw new DiloInputError(runOrFile, 'no detector checkpoint here (expected a run folder with checkpoints/last.dckpt or a .dckpt file)');
  const { header, tensors } = await readCheckpoint(file);
  const state = header.state as unknown as DetectorState;
  if (state.kind !== DETECTOR_KIND) throw new DiloInputError(file, `not a detector checkpoint (state.kind is ${JSON.stringify(state.kind)}); dilo pre-training checkpoints go to --init`);
  const all = header.tensors.map((r) => tensors.get(r.name)!);
  if (state.detectorSha256 !== hashTensors(all)) throw new DiloInputError(file, 'detector checkpoint tensors do not match their SHA-256 (corrupt file)');
  const model = new FasterRcnn(state.config, new Rng(0, ['load']));
  loadParamMap('backbone.', model.backbone.params, tensors, file);
  loadParamMap('heads.', model.heads, tensors, file);
  model.backbone.freezeBatchNorm();
  const momentum = new Map<string, tf.Tensor>();
  for (const t of all) {
    if (!t.name.startsWith('optimizer.momentum_buffer.')) continue;
    momentum.set(t.name.slice('optimizer.momentum_buffer.'.length), fromTorchLayout(t.kind, t.data, t.shape));
  }
  return { model, state, file, momentum };
}
