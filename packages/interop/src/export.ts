/**
 * Export: a dilo run (or .dckpt) -> files the PyTorch world loads:
 * - torchvision: a state_dict for torchvision.models.resnet18/34/50 (load_state_dict strict=True);
 * - moco: MoCo's checkpoint layout {'epoch', 'arch', 'state_dict': {'module.encoder_q.*', 'module.encoder_k.*', 'module.queue'}};
 * - detectron2: what MoCo's convert-pretrain-to-detectron2.py writes ({'model': numpy arrays, ...} pickle);
 * - safetensors: the backbone with torchvision names.
 */
import * as path from 'node:path';
import { promises as fs } from 'node:fs';
import { DiloInputError, writeFileAtomic } from '@dilo/core';
import { type CheckpointTensor, type PretrainConfig, readCheckpoint, resolveCheckpoint } from '@dilo/contrastive';
import { PickleWriter } from './pickle/pickler';
import { encodeTorchZip, type SaveTensor, type SaveValue } from './torch-save';
import { encodeSafetensors } from './safetensors';
import { torchvisionToDetectron2 } from './layouts';
import { backboneSpec } from './convert';

export type ExportFormat = 'torchvision' | 'moco' | 'detectron2' | 'safetensors';
export const EXPORT_FORMATS: readonly ExportFormat[] = ['torchvision', 'moco', 'detectron2', 'safetensors'];

export interface ExportOptions {
  run: string;
  to: ExportFormat;
  out: string;
  /** torchvision: rows of the fc layer a strict load needs (dilo runs have no classifier: zeros) */
  numClasses?: number;
}

export interface ExportSummary {
  run: string;
  checkpoint: string;
  to: ExportFormat;
  out: string;
  arch: string;
  tensors: number;
  /** lines worth telling the user (what was added or left out) */
  notes: string[];
}

const f32 = (t: CheckpointTensor): SaveTensor => ({ dtype: 'float32', shape: t.shape, data: t.data });
const zeroCount: SaveTensor = { dtype: 'int64', shape: [], data: BigInt64Array.of(0n) };

/** numpy array in a pickle, as numpy's __reduce__ writes it (protocol 3) */
function emitNdarray(w: PickleWriter, shape: readonly number[], data: Float32Array): void {
  // _reconstruct(ndarray, (0,), b'b'), then BUILD with (1, shape, dtype('<f4'), False, raw bytes)
  w.global('numpy.core.multiarray', '_reconstruct').global('numpy', 'ndarray').intTuple([0]).bytes(Buffer.from('b')).op(0x87).reduce();
  w.mark().int(1).intTuple(shape);
  w.global('numpy', 'dtype').str('f4').bool(false).bool(true).op(0x87).reduce();
  w.mark().int(3).str('<').none().none().none().int(-1).int(-1).int(0).tuple().build();
  w.bool(false).bytes(new Uint8Array(data.buffer, data.byteOffset, data.byteLength)).tuple().build();
}

export function encodeDetectron2Pkl(backbone: CheckpointTensor[], author = 'DILO'): Buffer {
  const w = new PickleWriter(3);
  w.emptyDict().mark();
  w.str('model').emptyDict().mark();
  for (const t of backbone) {
    w.str(torchvisionToDetectron2(t.name));
    emitNdarray(w, t.shape, t.data);
  }
  w.setItems();
  w.str('__author__').str(author).str('matching_heuristics').bool(true);
  w.setItems();
  return w.finish();
}

export async function exportRun(opts: ExportOptions): Promise<ExportSummary> {
  const checkpoint = await resolveCheckpoint(opts.run);
  const { header, tensors } = await readCheckpoint(checkpoint);
  const cfg = (header.state as { config?: PretrainConfig }).config;
  if (!cfg) throw new DiloInputError(checkpoint, 'checkpoint header has no config');
  const spec = backboneSpec({ arch: cfg.arch, width: cfg.width, smallStem: cfg.smallStem });
  const backbone = spec.map((s) => {
    const t = tensors.get(`encoder_q.${s.name}`);
    if (!t) throw new DiloInputError(checkpoint, `no encoder_q.${s.name}`);
    return { ...t, name: s.name };
  });
  const notes: string[] = [];
  const torchvisionCompatible = cfg.width === 1 && !cfg.smallStem;
  let bytes: Uint8Array;
  if (opts.to === 'torchvision') {
    const entries: [string, SaveValue][] = [];
    for (const t of backbone) {
      entries.push([t.name, f32(t)]);
      if (t.name.endsWith('.running_var')) entries.push([t.name.replace(/running_var$/, 'num_batches_tracked'), zeroCount]);
    }
    const classes = opts.numClasses ?? 1000;
    const featureDim = backbone[backbone.length - 1].shape[0];
    entries.push(['fc.weight', { dtype: 'float32', shape: [classes, featureDim], data: new Float32Array(classes * featureDim) }]);
    entries.push(['fc.bias', { dtype: 'float32', shape: [classes], data: new Float32Array(classes) }]);
    notes.push(`fc: zeros [${classes}, ${featureDim}] (a dilo run has no classifier; torchvision's strict load needs one)`);
    if (!torchvisionCompatible) notes.push(`width ${cfg.width}${cfg.smallStem ? ', 3x3 stem' : ''}: not torchvision's ${cfg.arch}() (it needs width 1 and the 7x7 stem); load into a matching modified ResNet`);
    bytes = encodeTorchZip({ ordered: true, entries });
  } else if (opts.to === 'moco') {
    const entries: [string, SaveValue][] = [];
    for (const [name, t] of tensors) {
      if (!/^(encoder_q|encoder_k)\./.test(name) && name !== 'queue') continue;
      entries.push([`module.${name}`, f32(t)]);
      if (name.endsWith('.running_var')) entries.push([`module.${name.replace(/running_var$/, 'num_batches_tracked')}`, zeroCount]);
    }
    const step = Number((header.state as { step?: number }).step ?? 0);
    const epoch = Number((header.state as { epoch?: number }).epoch ?? 0);
    if (!tensors.has('encoder_k.conv1.weight')) notes.push('no key encoder in this run (imported weights): only module.encoder_q.* written');
    bytes = encodeTorchZip({ ordered: false, entries: [['epoch', epoch], ['arch', cfg.arch], ['step', step], ['state_dict', { ordered: true, entries }]] });
  } else if (opts.to === 'detectron2') {
    notes.push("backbone only (MoCo's converter also copies the projection head as stem.fc.*, which detectron2 ignores)");
    bytes = encodeDetectron2Pkl(backbone);
  } else if (opts.to === 'safetensors') {
    bytes = encodeSafetensors(
      backbone.map((t) => ({ name: t.name, dtype: 'F32' as const, shape: t.shape, data: t.data })),
      { format: 'pt', 'dilo.arch': cfg.arch, 'dilo.width': String(cfg.width), 'dilo.small_stem': String(cfg.smallStem), 'dilo.source': path.basename(path.dirname(path.dirname(checkpoint))) },
    );
  } else {
    throw new DiloInputError(opts.run, `unknown export format ${String(opts.to)}`);
  }
  await fs.mkdir(path.dirname(path.resolve(opts.out)), { recursive: true });
  await writeFileAtomic(opts.out, bytes);
  return { run: opts.run, checkpoint, to: opts.to, out: opts.out, arch: cfg.arch, tensors: backbone.length, notes };
}
