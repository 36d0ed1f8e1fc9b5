import { promises as fs, type Dirent } from 'node:fs';
import * as path from 'node:path';
import { DiloInputError } from './errors';
import { imageSize } from './image';

export const IMAGE_EXTENSIONS = ['.jpg', '.jpeg', '.png', '.webp', '.tif', '.tiff', '.bmp', '.gif'];

export function isImageFile(name: string): boolean {
  return IMAGE_EXTENSIONS.includes(path.extname(name).toLowerCase());
}

/** Stable, locale-independent ordering (plain code-unit comparison). */
export function stableCompare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** One sample of a dataset; paths are absolute, `id` is the path relative to the root without extension. */
export interface Sample {
  id: string;
  image: string;
  /** class index into Manifest.classes, or -1 when unlabelled */
  label: number;
  /** the foreground mask or saliency map, when paired */
  mask?: string;
}

export interface Manifest {
  root: string;
  classes: string[];
  samples: Sample[];
  /** image names listing found but could not open (dangling links): for the run's skip report */
  unreadable?: { file: string; problem: string }[];
}

export interface ListImagesOptions {
  /** called once for each image name that cannot be a file (a dangling symbolic link) */
  onUnreadable?: (file: string, problem: string) => void;
}

/** All image files below dir, recursively, sorted by relative path. */
export async function listImages(dir: string, opts: ListImagesOptions = {}): Promise<string[]> {
  const out: string[] = [];
  const seen = new Set<string>();
  async function walk(d: string): Promise<void> {
    // symlinked folders are followed once (a link cycle is not walked twice)
    const real = await fs.realpath(d).catch(() => d);
    if (seen.has(real)) return;
    seen.add(real);
    let entries;
    try {
      entries = await fs.readdir(d, { withFileTypes: true });
    } catch (err) {
      throw new DiloInputError(d, `cannot list folder (${(err as NodeJS.ErrnoException).code ?? String(err)})`, { cause: err });
    }
    for (const e of entries) {
      if (e.name.startsWith('.')) continue;
      const p = path.join(d, e.name);
      const kind = await entryKind(p, e);
      if (kind === 'dir') await walk(p);
      else if (kind === 'file' && isImageFile(e.name)) out.push(p);
      else if (kind === 'dangling' && isImageFile(e.name)) opts.onUnreadable?.(p, 'dangling symbolic link (its target does not exist)');
    }
  }
  await walk(dir);
  return out.sort((a, b) => stableCompare(path.relative(dir, a), path.relative(dir, b)));
}

/** A directory entry's kind, following symbolic links (a dangling link is neither). */
async function entryKind(p: string, e: Dirent): Promise<'dir' | 'file' | 'dangling' | 'other'> {
  if (e.isDirectory()) return 'dir';
  if (e.isFile()) return 'file';
  if (!e.isSymbolicLink()) return 'other';
  const st = await fs.stat(p).catch(() => null);
  if (!st) return 'dangling';
  return st.isDirectory() ? 'dir' : st.isFile() ? 'file' : 'other';
}

function stemId(root: string, file: string): string {
  const rel = path.relative(root, file);
  return rel.slice(0, rel.length - path.extname(rel).length).split(path.sep).join('/');
}

/**
 * ImageFolder (torchvision layout): root/<class>/**\/*.jpg. Classes are the sorted sub-folder
 * names, so label indices are stable across machines.
 */
export async function imageFolder(root: string): Promise<Manifest> {
  let entries;
  try {
    entries = await fs.readdir(root, { withFileTypes: true });
  } catch (err) {
    throw new DiloInputError(root, `not a readable dataset folder (${(err as NodeJS.ErrnoException).code ?? String(err)})`, { cause: err });
  }
  const classes: string[] = [];
  for (const e of entries) if (!e.name.startsWith('.') && (await entryKind(path.join(root, e.name), e)) === 'dir') classes.push(e.name);
  classes.sort(stableCompare);
  if (classes.length === 0) throw new DiloInputError(root, 'no class sub-folders (expected root/<class>/<image>)');
  const samples: Sample[] = [];
  const unreadable: { file: string; problem: string }[] = [];
  const onUnreadable = (file: string, problem: string): number => unreadable.push({ file, problem });
  for (let c = 0; c < classes.length; c++) {
    for (const image of await listImages(path.join(root, classes[c]), { onUnreadable })) samples.push({ id: stemId(root, image), image, label: c });
  }
  if (samples.length === 0) throw new DiloInputError(root, 'no images in any class folder');
  return { root, classes, samples, ...(unreadable.length ? { unreadable } : {}) };
}

/** An unlabelled folder of images (recursive). */
export async function imageList(root: string): Promise<Manifest> {
  const unreadable: { file: string; problem: string }[] = [];
  const files = await listImages(root, { onUnreadable: (file, problem) => unreadable.push({ file, problem }) });
  if (files.length === 0) throw new DiloInputError(root, 'no images found');
  return { root, classes: [], samples: files.map((image) => ({ id: stemId(root, image), image, label: -1 })), ...(unreadable.length ? { unreadable } : {}) };
}

export interface PairingIssue {
  id: string;
  file: string;
  problem: 'no-mask' | 'size-mismatch' | 'unreadable';
  detail: string;
}

export interface PairedManifest extends Manifest {
  /** images left out, with the reason: reported, never silent */
  issues: PairingIssue[];
  /** masks no image matches (usually a misnamed file): named in the skip report, never used */
  orphanMasks?: string[];
}

/**
 * Pair each image with the mask of the same relative stem under maskRoot (any image extension).
 * Images without a mask, and pairs whose sizes differ, are left out and listed in `issues`.
 */
export async function pairMasks(images: Manifest, maskRoot: string, opts: { checkSizes?: boolean } = {}): Promise<PairedManifest> {
  const masks = new Map<string, string>();
  const unreadable = [...(images.unreadable ?? [])];
  for (const m of await listImages(maskRoot, { onUnreadable: (file, problem) => unreadable.push({ file, problem }) })) masks.set(stemId(maskRoot, m), m);
  const samples: Sample[] = [];
  const issues: PairingIssue[] = [];
  const used = new Set<string>();
  for (const s of images.samples) {
    // ImageFolder ids include the class folder; also accept a flat mask folder by basename.
    const mask = masks.get(s.id) ?? masks.get(path.posix.basename(s.id));
    if (mask) used.add(mask);
    if (!mask) {
      issues.push({ id: s.id, file: s.image, problem: 'no-mask', detail: `no mask named ${s.id}.* under ${maskRoot}` });
      continue;
    }
    if (opts.checkSizes !== false) {
      try {
        const [a, b] = await Promise.all([imageSize(s.image), imageSize(mask)]);
        if (a.width !== b.width || a.height !== b.height) {
          issues.push({ id: s.id, file: mask, problem: 'size-mismatch', detail: `image ${a.width}x${a.height} but mask ${b.width}x${b.height}` });
          continue;
        }
      } catch (err) {
        issues.push({ id: s.id, file: err instanceof DiloInputError ? err.file : s.image, problem: 'unreadable', detail: err instanceof DiloInputError ? err.problem : (err as Error).message });
        continue;
      }
    }
    samples.push({ ...s, mask });
  }
  const orphanMasks = [...masks.values()].filter((m) => !used.has(m)).sort(stableCompare);
  return { root: images.root, classes: images.classes, samples, issues, orphanMasks, ...(unreadable.length ? { unreadable } : {}) };
}

/** SOD-style layout: root/images/<id>.jpg + root/masks/<id>.png. */
export async function imageMaskFolder(root: string, imagesDir = 'images', masksDir = 'masks'): Promise<PairedManifest> {
  return pairMasks(await imageList(path.join(root, imagesDir)), path.join(root, masksDir));
}

/** A manifest as JSON (paths relative to root), for caching and for Nx task outputs. */
export function manifestToJson(m: Manifest): string {
  return JSON.stringify({
    root: m.root,
    classes: m.classes,
    samples: m.samples.map((s) => ({ id: s.id, image: path.relative(m.root, s.image), label: s.label, ...(s.mask ? { mask: path.relative(m.root, s.mask) } : {}) })),
  });
}

export function manifestFromJson(text: string, root?: string): Manifest {
  const j = JSON.parse(text) as { root: string; classes: string[]; samples: Sample[] };
  const r = root ?? j.root;
  return { root: r, classes: j.classes, samples: j.samples.map((s) => ({ ...s, image: path.resolve(r, s.image), ...(s.mask ? { mask: path.resolve(r, s.mask) } : {}) })) };
}
