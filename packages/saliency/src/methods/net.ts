import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { DiloInputError, DiloUsageError } from '@dilo/core';
import type { OnnxParams } from './onnx';

/**
 * `--method net:RUN`: the saliency network trained by `dilo saliency train --out RUN`, run from
 * the ONNX file the training wrote into RUN (so the maps come from exactly the exported graph).
 * RUN/saliency-net.json says which file, the input size and the normalisation.
 */
export const SALIENCY_NET_FILE = 'saliency-net.json';

export interface SaliencyNetRunInfo {
  format: 'dilo-saliency-net';
  version: 1;
  /** ONNX file, relative to the run folder */
  onnx: string;
  /** square network input, in pixels */
  inputSize: number;
  /** per-channel mean and std on [0, 1] RGB */
  mean: [number, number, number];
  std: [number, number, number];
  /** anything else the trainer records (config, pseudo-mask methods, final loss) */
  [key: string]: unknown;
}

export function readSaliencyNetRun(run: string): SaliencyNetRunInfo & { onnxPath: string } {
  const file = path.join(run, SALIENCY_NET_FILE);
  let info: SaliencyNetRunInfo;
  try {
    info = JSON.parse(readFileSync(file, 'utf8')) as SaliencyNetRunInfo;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new DiloInputError(file, code === 'ENOENT' ? 'no saliency-network run here (train one with `dilo saliency train --out RUN`; it is written when training finishes)' : `cannot read (${code ?? (err as Error).message})`, { cause: err });
  }
  if (info.format !== 'dilo-saliency-net' || info.version !== 1) throw new DiloInputError(file, `not a dilo saliency-network run (format ${String(info.format)} v${String(info.version)})`);
  if (!(Number.isInteger(info.inputSize) && info.inputSize > 0) || typeof info.onnx !== 'string') throw new DiloInputError(file, 'malformed: needs onnx (file) and inputSize (pixels)');
  return { ...info, onnxPath: path.resolve(run, info.onnx) };
}

/** A method spec as given to --method: a registry name, or net:RUN (the ONNX estimator on that run's export). */
export function resolveMethodSpec(spec: string, params: Record<string, unknown>): { method: string; params: Record<string, unknown> } {
  if (!spec.startsWith('net:')) return { method: spec, params };
  const run = spec.slice(4);
  if (!run) throw new DiloUsageError('--method net:RUN needs the run folder of `dilo saliency train`, e.g. net:runs/saliency-net');
  const info = readSaliencyNetRun(run);
  const onnx: OnnxParams = { model: info.onnxPath, inputWidth: info.inputSize, inputHeight: info.inputSize, mean: info.mean, std: info.std, outputIndex: 0, normalize: 'none' };
  return { method: 'onnx', params: { ...onnx, ...params } };
}
