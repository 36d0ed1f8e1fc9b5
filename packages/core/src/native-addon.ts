import fs from 'node:fs';

/** What loading an optional native addon gave: the module, or why not. */
export type AddonLoad<T> = { addon: T; reason: 'loaded' } | { addon: null; reason: string };

/**
 * Load an optional N-API addon (built at install by `@dilo/core/build-addon`). When it is
 * switched off (`disableEnv`=0), missing or fails to load, the caller runs its TypeScript
 * kernels; the reason is written once to stderr unless the user switched it off.
 */
export function loadOptionalAddon<T>(file: string, o: { label: string; disableEnv: string; rebuild: string }): AddonLoad<T> {
  let r: AddonLoad<T>;
  if (process.env[o.disableEnv] === '0') return { addon: null, reason: `${o.disableEnv}=0` };
  if (!fs.existsSync(file)) r = { addon: null, reason: `${file} does not exist (build it with \`${o.rebuild}\`)` };
  else {
    try {
      r = { addon: require(file) as T, reason: 'loaded' };
    } catch (err) {
      r = { addon: null, reason: `${file}: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}` };
    }
  }
  if (!r.addon) process.stderr.write(`${o.label}: native kernels unavailable, using the TypeScript kernels: ${r.reason}\n`);
  return r;
}
