import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { DiloInputError, DiloUsageError } from '@dilo/core';
import { syncEstimator, type SaliencyEstimator } from './estimator';
import { rbd, RBD_DEFAULTS, type RbdParams } from './methods/rbd';
import { gs, GS_DEFAULTS, type GsParams } from './methods/gs';
import { mc, MC_DEFAULTS, type McParams } from './methods/mc';
import { mbd, MBD_DEFAULTS, type MbdParams } from './methods/mbd';
import { ft } from './methods/ft';
import { sr, SR_DEFAULTS, type SrParams } from './methods/sr';
import { OnnxEstimator, type OnnxParams } from './methods/onnx';

/** Parameters of each method, by name. */
export interface MethodParams {
  rbd: RbdParams;
  gs: GsParams;
  mc: McParams;
  mbd: MbdParams;
  ft: Record<string, never>;
  sr: SrParams;
  onnx: OnnxParams;
}

export type MethodName = keyof MethodParams;

/**
 * Bumped whenever a method's output changes for the same input and parameters, so cached maps of
 * an older version are recomputed.
 */
export const SALIENCY_CODE_VERSION = '3';

/** name -> estimator factory. */
export const ESTIMATORS: { [K in MethodName]: (params?: Partial<MethodParams[K]>) => SaliencyEstimator } = {
  rbd: (p = {}) => syncEstimator('rbd', { ...RBD_DEFAULTS, ...p }, (img, q) => rbd(img, q)),
  gs: (p = {}) => syncEstimator('gs', { ...GS_DEFAULTS, ...p }, (img, q) => gs(img, q)),
  mc: (p = {}) => syncEstimator('mc', { ...MC_DEFAULTS, ...p }, (img, q) => mc(img, q)),
  mbd: (p = {}) => syncEstimator('mbd', { ...MBD_DEFAULTS, ...p }, (img, q) => mbd(img, q)),
  ft: () => syncEstimator('ft', {}, (img) => ft(img)),
  sr: (p = {}) => syncEstimator('sr', { ...SR_DEFAULTS, ...p }, (img, q) => sr(img, q)),
  onnx: (p) => {
    if (!p?.model) throw new DiloUsageError('method onnx needs a model (--model FILE.onnx)');
    let hash: string;
    try {
      hash = createHash('sha256').update(readFileSync(p.model)).digest('hex');
    } catch (err) {
      throw new DiloInputError(p.model, `cannot read ONNX model (${(err as NodeJS.ErrnoException).code ?? String(err)})`, { cause: err });
    }
    return new OnnxEstimator(p as OnnxParams, hash);
  },
};

export const METHOD_NAMES = Object.keys(ESTIMATORS) as MethodName[];

export function isMethodName(s: string): s is MethodName {
  return (METHOD_NAMES as string[]).includes(s);
}

/** The estimator registered under `name` (usage error for an unknown name). */
export function createEstimator<K extends MethodName>(name: K, params?: Partial<MethodParams[K]>): SaliencyEstimator {
  if (!isMethodName(name)) throw new DiloUsageError(`unknown saliency method '${name}' (known: ${METHOD_NAMES.join(', ')})`);
  return ESTIMATORS[name](params);
}
