import * as tf from '@tensorflow/tfjs-core';
import { BACKEND_NAME } from './backend';
import { CONV2D_BACKPROP } from './kernels/conv';

// tfjs' backward pass (engine.gradients) keeps the gradient of every intermediate tensor and
// every tensor saved for the backward pass until the whole pass ends, so a training step's
// peak memory is about all activations plus all their gradients. PyTorch frees each as soon as
// its node has been processed. This patch does the same in tfjs: once a tape node's gradient
// has run, the gradients flowing into it (its outputs' dy) and its saved tensors are disposed.
// It wraps two Engine methods of the pinned tfjs-core 4.22 and only acts on first-order
// gradients (never inside higher-order ones); results are unchanged (tested against the
// unpatched engine).

interface TapeNode {
  kernelName: string;
  inputs: Record<string, tf.Tensor>;
  outputs: tf.Tensor[];
  saved?: tf.Tensor[];
  gradient?: (dys: (tf.Tensor | null)[]) => Record<string, () => tf.Tensor>;
}
interface EngineInternals {
  state: { activeTape: TapeNode[] | null; gradientDepth: number };
  addTapeNode(...args: unknown[]): void;
  gradients(f: () => tf.Tensor, xs: tf.Tensor[], dy?: tf.Tensor, allowNoGradients?: boolean): unknown;
}

let installed = false;
let enabled = false;
/** the first-order gradients() call in progress: ids of tensors (xs, a caller's dy) that must survive it */
let call: { protectedIds: Set<number>; pending: (() => void) | null; stashed: Set<tf.Tensor> } | null = null;

function release(): void {
  const p = call?.pending;
  if (call) call.pending = null;
  p?.();
}

function install(): void {
  const proto = Object.getPrototypeOf(tf.engine()) as EngineInternals;
  const addTapeNode = proto.addTapeNode;
  const gradients = proto.gradients;

  proto.addTapeNode = function (this: EngineInternals, ...args: unknown[]) {
    addTapeNode.apply(this, args);
    const tape = this.state.activeTape;
    const node = tape?.[tape.length - 1];
    const grad = node?.gradient;
    if (!node || !grad) return;
    node.gradient = (dys) => {
      release(); // the previous node is done: its inputs' gradients are computed
      const closures = grad(dys);
      const c = call;
      if (!enabled || !c || this.state.gradientDepth !== 0) return closures;
      if (node.kernelName === 'Conv2D') jointConvBackprop(node, closures, dys[0], args[5] as tf.NamedTensorMap, c);
      const returned = new Set<tf.Tensor>();
      const wrapped: Record<string, () => tf.Tensor> = {};
      for (const k of Object.keys(closures)) {
        wrapped[k] = () => {
          const t = closures[k]();
          returned.add(t);
          return t;
        };
      }
      c.pending = () => {
        dys.forEach((dy, i) => {
          if (dy && !returned.has(dy) && !c.protectedIds.has(dy.id) && !c.protectedIds.has(node.outputs[i].id)) dy.dispose();
        });
        node.saved?.forEach((t) => t.dispose());
      };
      return wrapped;
    };
  };

  proto.gradients = function (this: EngineInternals, f, xs, dy, allowNoGradients) {
    if (!enabled || call || this.state.gradientDepth !== 0) return gradients.call(this, f, xs, dy, allowNoGradients);
    const ids = new Set<number>(xs.map((x) => x.id));
    if (dy) ids.add(dy.id);
    call = { protectedIds: ids, pending: null, stashed: new Set() };
    try {
      return gradients.call(this, f, xs, dy, allowNoGradients);
    } finally {
      // the last node's dys belong to the backward tidy, which disposes them itself
      call.stashed.forEach((t) => t.dispose());
      call = null;
    }
  };
}

/**
 * A convolution's two gradients in one oneDNN call (what PyTorch's autograd does) instead of
 * tfjs' two: when the filter is one of the tensors being differentiated (so its closure will run)
 * and the input's closure runs first, that closure computes both and stashes the filter's, which
 * the filter's closure then hands out (as an alias made inside its own scope, so tidy manages it
 * as usual). A stash nobody claims is disposed when the backward pass ends.
 */
function jointConvBackprop(node: TapeNode, closures: Record<string, () => tf.Tensor>, dy: tf.Tensor | null, attrs: tf.NamedTensorMap, c: NonNullable<typeof call>): void {
  const saved = node.saved;
  const filterInput = node.inputs.filter;
  if (!dy || !saved || saved.length !== 2 || !closures.x || !closures.filter || !filterInput || !c.protectedIds.has(filterInput.id)) return;
  if (tf.getBackend() !== BACKEND_NAME || (attrs as unknown as { dataFormat?: string }).dataFormat === 'NCHW') return;
  const [x, filter] = saved;
  let stash: tf.Tensor | null = null;
  const filterOnly = closures.filter;
  closures.x = () => {
    const [dx, dw] = tf.engine().runKernel(CONV2D_BACKPROP, { x, dy, filter }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
    stash = tf.keep(dw);
    c.stashed.add(dw);
    return dx;
  };
  closures.filter = () => {
    const dw = stash;
    if (!dw) return filterOnly();
    stash = null;
    c.stashed.delete(dw);
    const out = tf.clone(dw); // zero-copy alias on the torch backend
    dw.dispose();
    return out;
  };
}

/** Free gradients and saved tensors during tfjs' backward pass as soon as they are used (see above). */
export function setLeanGradients(on: boolean): void {
  if (on && !installed) {
    install();
    installed = true;
  }
  enabled = on;
}

export function leanGradientsEnabled(): boolean {
  return enabled;
}
