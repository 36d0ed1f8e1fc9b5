/**
 * Checkpoint layouts of the PyTorch world and how their tensor names map to dilo's ResNet
 * (torchvision names: conv1, bn1, layer1.0.conv1, layer1.0.downsample.0, ...).
 * - torchvision: a state_dict as resnet50().state_dict() (maybe under 'state_dict' / 'model', maybe 'module.');
 * - moco / dilo: {'state_dict': {'module.encoder_q.<torchvision name>', 'module.encoder_k...', 'module.queue'}}:
 *   the query encoder is the backbone (MoCo's and DiLo's official releases);
 * - detectron2: MoCo's convert-pretrain-to-detectron2.py names (stem.conv1, stem.conv1.norm,
 *   res2.0.conv1.norm, res2.0.shortcut(.norm)) in a {'model': ...} pickle of numpy arrays, or a
 *   detectron2 model's backbone (backbone.[bottom_up.], roi_heads.res5 for C4).
 */
import { PyDict, type PyValue } from './pickle/unpickler';
import { NumpyArray, TorchTensor } from './tensor';

export type ImportLayout = 'torchvision' | 'moco' | 'dilo' | 'detectron2';
export const IMPORT_LAYOUTS: readonly ImportLayout[] = ['torchvision', 'moco', 'dilo', 'detectron2'];

export type AnyTensor = TorchTensor | NumpyArray;

/** name -> tensor of the innermost dict that holds tensors (a state_dict), found under the usual keys. */
export function findStateDict(value: PyValue, file: string): { path: string; tensors: Map<string, AnyTensor> } {
  const isTensor = (v: unknown): v is AnyTensor => v instanceof TorchTensor || v instanceof NumpyArray;
  const walk = (v: PyValue, at: string): { path: string; tensors: Map<string, AnyTensor> } | null => {
    if (!(v instanceof PyDict)) return null;
    const tensors = new Map<string, AnyTensor>();
    for (const [k, x] of v.map) if (isTensor(x)) tensors.set(String(k), x);
    if (tensors.size > 0) return { path: at, tensors };
    for (const key of ['state_dict', 'model', 'module', 'net', 'network', 'backbone']) {
      const inner = v.get(key);
      if (inner !== undefined) {
        const r = walk(inner, at ? `${at}.${key}` : key);
        if (r) return r;
      }
    }
    return null;
  };
  const r = walk(value, '');
  if (!r) throw new Error(`${file}: no state_dict found (looked at the top level and under state_dict / model / module)`);
  return r;
}

/** Which layout a state_dict's names look like (null: none). */
export function detectLayout(names: readonly string[]): ImportLayout | null {
  const has = (re: RegExp): boolean => names.some((n) => re.test(n));
  if (has(/(^|\.)encoder_q\./)) return 'moco';
  if (has(/(^|\.)(stem\.conv1|res[2-5]\.\d+\.)/)) return 'detectron2';
  if (has(/(^|\.)layer1\.0\.conv1\.weight$/)) return 'torchvision';
  return null;
}

export interface MappedTensor {
  /** dilo/torchvision name */
  name: string;
  source: string;
  tensor: AnyTensor;
}

export interface LayoutMapping {
  layout: ImportLayout;
  tensors: MappedTensor[];
  /** names in the file that are not part of the backbone (heads, key encoder, queue, counters) */
  ignored: string[];
}

function detectron2ToTorchvision(k: string): string {
  // inverse of MoCo's convert-pretrain-to-detectron2.py
  let n = k.replace(/^stem\./, '');
  for (let t = 2; t <= 5; t++) n = n.replace(new RegExp(`^res${t}\\.`), `layer${t - 1}.`);
  n = n.replace(/\.shortcut\.norm\./, '.downsample.1.').replace(/\.shortcut\./, '.downsample.0.');
  n = n.replace(/(^|\.)conv([123])\.norm\./, '$1bn$2.');
  return n;
}

const BACKBONE_NAME = /^(conv1\.weight|bn1\.(weight|bias|running_mean|running_var)|layer[1-4]\.\d+\.(conv[123]\.weight|bn[123]\.(weight|bias|running_mean|running_var)|downsample\.0\.weight|downsample\.1\.(weight|bias|running_mean|running_var)))$/;

/** Map a state_dict of the given layout to backbone names; everything else is listed as ignored. */
export function mapLayout(layout: ImportLayout, tensors: Map<string, AnyTensor>): LayoutMapping {
  const out: MappedTensor[] = [];
  const ignored: string[] = [];
  for (const [source, tensor] of tensors) {
    let n = source;
    if (layout === 'moco' || layout === 'dilo') {
      const m = /^(?:module\.)?encoder_q\.(.*)$/.exec(n);
      if (!m) {
        ignored.push(source);
        continue;
      }
      n = m[1];
    } else if (layout === 'torchvision') {
      n = n.replace(/^module\./, '');
    } else {
      n = n.replace(/^module\./, '').replace(/^backbone\.bottom_up\./, '').replace(/^backbone\./, '').replace(/^roi_heads\.res5\./, 'res5.');
      n = detectron2ToTorchvision(n);
    }
    if (BACKBONE_NAME.test(n)) out.push({ name: n, source, tensor });
    else ignored.push(source);
  }
  return { layout, tensors: out, ignored };
}

/** The inverse of detectron2ToTorchvision: what convert-pretrain-to-detectron2.py writes. */
export function torchvisionToDetectron2(k: string): string {
  let n = k;
  if (!n.includes('layer')) n = `stem.${n}`;
  for (let t = 1; t <= 4; t++) n = n.replace(`layer${t}`, `res${t + 1}`);
  for (let t = 1; t <= 3; t++) n = n.replace(`bn${t}`, `conv${t}.norm`);
  return n.replace('downsample.0', 'shortcut').replace('downsample.1', 'shortcut.norm');
}
