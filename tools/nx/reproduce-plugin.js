// Nx plugin: turns apps/cli/reproduce.json into cached tasks on the cli project.
//   repro.<grid>.snet.<name>        a label-free saliency network trained by `dilo saliency train`
//                                   on the train images (saliency entries with a "net" field)
//   repro.<grid>.maps.<method>      saliency maps of the training images (once per method and dataset)
//   repro.<grid>.testmaps.<method>  maps of the test images, when the grid asks for them
//                                   (datasets without masks: background robustness and CAM use them)
//   repro.<grid>.pretrain.<config>  one MoCo run per configuration (depends on its maps)
//   repro.<grid>.eval.<config>      linear, kNN, backgrounds, CAM of that run
//   repro.<grid>.table              mean ± std over seeds of every configuration
// Outputs live under runs/reproduce/<grid>/ and are Nx task outputs, so the cache restores them
// and adding one configuration to a grid computes only that configuration.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const CLI = 'node apps/cli/dist/main.js';

// a leading $VAR names the dataset's root: $DILO_SHARED_DATA (default ../shared/data) or any other
// variable, e.g. $DILO_IMAGENET for the paper-scale grid. An unset one becomes a path that says
// so, which the grid's first task names in its error (the project graph itself must still load).
function expand(p) {
  return p.replace(/^\$([A-Z_][A-Z0-9_]*)/, (_, name) =>
    process.env[name] || (name === 'DILO_SHARED_DATA' ? '../shared/data' : `/nonexistent/${name}_is_unset`));
}

/** configuration name: p=0 is plain MoCo (no maps, no background) */
function configs(grid) {
  const out = [];
  for (const seed of grid.seeds) {
    for (const p of grid.p) {
      if (p === 0) out.push({ name: `moco-s${seed}`, p, seed });
      // a saliency entry may name its own backgrounds (e.g. a costly learned net on grey only)
      else for (const [method, entry] of Object.entries(grid.saliency)) for (const bg of entry.backgrounds || grid.backgrounds)
        out.push({ name: `dilo-${method}-${bg.replace(/[^a-z0-9]+/gi, '_')}-p${p}-s${seed}`, p, seed, method, bg });
    }
  }
  return out;
}

function flags(obj) {
  return Object.entries(obj).map(([k, v]) => (v === true ? `--${k}` : `--${k} ${v}`)).join(' ');
}

// a run in `out` started with `args`: `resume` when an interrupted run with the same arguments
// left `checkpoint` there (a finished run resumes to its last step at once), else `start` afresh
function resumable(out, args, checkpoint, start, resume) {
  return `if [ -f ${out}/${checkpoint} ] && [ "$(cat ${out}.args 2>/dev/null)" = "${args}" ]; then ${resume}; ` +
    `else rm -rf ${out} && mkdir -p ${out} && rmdir ${out} && echo "${args}" > ${out}.args && ${start}; fi`;
}

const resumablePretrain = (out, args) =>
  resumable(out, args, 'checkpoints/last.dckpt', `${CLI} pretrain ${args} --out ${out} --json`, `${CLI} pretrain --resume ${out} --json`);
const resumableSaliencyNet = (out, args) =>
  resumable(out, args, 'checkpoint.dckpt', `${CLI} saliency train ${args} --out ${out} --json`, `${CLI} saliency train ${args} --out ${out} --resume --json`);

// a grid with "extends" is its parent with the fields it names replaced; dataset and pretrain are
// merged key by key (a longer schedule is `"pretrain": { "epochs": 40 }`)
function resolveGrid(grids, name, seen = []) {
  const grid = grids[name];
  if (!grid.extends) return grid;
  if (seen.includes(name)) throw new Error(`grid ${name}: "extends" loops (${[...seen, name].join(' -> ')})`);
  if (!grids[grid.extends]) throw new Error(`grid ${name}: extends unknown grid '${grid.extends}'`);
  const parent = resolveGrid(grids, grid.extends, [...seen, name]);
  const { extends: _parent, $comment: _comment, ...own } = grid;
  return { ...parent, ...own, dataset: { ...parent.dataset, ...own.dataset }, pretrain: { ...parent.pretrain, ...own.pretrain } };
}

function gridTargets(name, grid) {
  const data = expand(grid.dataset.path);
  const train = path.join(data, grid.dataset.train || 'train');
  const root = `runs/reproduce/${name}`;
  const fingerprint = { runtime: `node tools/nx/fingerprint.js ${data}` };
  const base = ['production', '^production'];
  const dataDep = grid.dataset.synth ? ['synth'] : [];
  const targets = {};
  // one cached saliency task: the maps of a folder of images
  // (entry: the grid's saliency entry; m: its --method spec, params and the tasks it needs)
  const saliencyTask = (images, entry, m, out) => ({
    executor: 'nx:run-commands',
    cache: true,
    dependsOn: ['build', ...dataDep, ...m.deps],
    inputs: [...base, fingerprint, ...(m.deps.length ? [{ dependentTasksOutputFiles: '**/*.onnx' }] : [])],
    outputs: [`{workspaceRoot}/${out}`],
    options: { cwd: '{workspaceRoot}', command: `${CLI} saliency --method ${m.method} --params '${JSON.stringify(m.params)}' --images ${images} --out ${out} --cache ${path.dirname(out)}/.cache-${entry} --json` },
  });
  // a saliency entry { "net": { <dilo saliency train flags> }, ...params } is a learned network:
  // trained once on the grid's own train images (pseudo-masks of those images, no labels), then
  // its maps come from `--method net:RUN` like any other method's
  const methodSpec = {};
  for (const [method, params] of Object.entries(grid.saliency)) {
    // "net" and "backgrounds" belong to the grid; everything else is the method's --params
    const { net, backgrounds: _backgrounds, ...rest } = params;
    if (!net) { methodSpec[method] = { method, params: rest, deps: [] }; continue; }
    const out = `${root}/saliency-net/${method}`;
    targets[`repro.${name}.snet.${method}`] = {
      executor: 'nx:run-commands',
      cache: true,
      dependsOn: ['build', ...dataDep],
      inputs: [...base, fingerprint],
      outputs: [`{workspaceRoot}/${out}`, `{workspaceRoot}/${out}.args`],
      options: { cwd: '{workspaceRoot}', command: resumableSaliencyNet(out, `--images ${train} ${flags(net)}`) },
    };
    methodSpec[method] = { method: `net:${out}`, params: rest, deps: [`repro.${name}.snet.${method}`] };
  }
  for (const [method, m] of Object.entries(methodSpec)) targets[`repro.${name}.maps.${method}`] = saliencyTask(train, method, m, `${root}/maps/${method}`);
  // datasets without ground-truth masks: the test images' foreground comes from dilo's own saliency
  const testMaps = grid.dataset.testMasks ? { method: grid.dataset.testMasks, dir: `${root}/testmaps/${grid.dataset.testMasks}` } : null;
  if (testMaps) {
    if (!grid.saliency[testMaps.method]) throw new Error(`grid ${name}: dataset.testMasks '${testMaps.method}' is not one of its saliency methods`);
    targets[`repro.${name}.testmaps.${testMaps.method}`] = saliencyTask(path.join(data, grid.dataset.test || 'val'), testMaps.method, methodSpec[testMaps.method], testMaps.dir);
  }
  const evals = [];
  for (const c of configs(grid)) {
    const run = `${root}/${c.name}`;
    const dilo = c.p > 0 ? ` --dilo-p ${c.p} --background ${c.bg} --maps ${root}/maps/${c.method}` : '';
    targets[`repro.${name}.pretrain.${c.name}`] = {
      executor: 'nx:run-commands',
      cache: true,
      dependsOn: ['build', ...dataDep, ...(c.p > 0 ? [`repro.${name}.maps.${c.method}`] : [])],
      inputs: [...base, fingerprint, ...(c.p > 0 ? [{ dependentTasksOutputFiles: '**/*.png' }] : [])],
      outputs: [`{workspaceRoot}/${run}/pretrain`, `{workspaceRoot}/${run}/pretrain.args`],
      // an interrupted run with the same arguments resumes; anything else starts afresh
      options: { cwd: '{workspaceRoot}', command: resumablePretrain(`${run}/pretrain`, `--data ${train} ${flags(grid.pretrain)} --seed ${c.seed}${dilo}`) },
    };
    targets[`repro.${name}.eval.${c.name}`] = {
      executor: 'nx:run-commands',
      cache: true,
      dependsOn: [`repro.${name}.pretrain.${c.name}`, ...(testMaps ? [`repro.${name}.testmaps.${testMaps.method}`] : [])],
      inputs: [...base, fingerprint, { dependentTasksOutputFiles: '**/*.dckpt' }, ...(testMaps ? [{ dependentTasksOutputFiles: '**/*.png' }] : [])],
      outputs: [`{workspaceRoot}/${run}/eval`],
      options: { cwd: '{workspaceRoot}', command: `${CLI} reproduce eval --run ${run} --data ${data}${grid.dataset.test ? ` --test-split ${grid.dataset.test}` : ''}${testMaps ? ` --masks ${testMaps.dir}` : ''} --seed ${c.seed} --json` },
    };
    evals.push(`repro.${name}.eval.${c.name}`);
  }
  targets[`repro.${name}.table`] = {
    executor: 'nx:run-commands',
    cache: false,
    dependsOn: evals,
    options: { cwd: '{workspaceRoot}', command: `${CLI} reproduce table --grid ${name} --json` },
  };
  return targets;
}

exports.createNodes = [
  'apps/cli/reproduce.json',
  (files, _options, context) =>
    files.map((file) => {
      const spec = JSON.parse(fs.readFileSync(path.join(context.workspaceRoot, file), 'utf8'));
      const targets = {};
      const configurations = {};
      for (const name of Object.keys(spec.grids)) {
        Object.assign(targets, gridTargets(name, resolveGrid(spec.grids, name)));
        configurations[name] = { command: `nx run cli:repro.${name}.table --output-style=stream` };
      }
      targets.reproduce = {
        executor: 'nx:run-commands',
        cache: false,
        defaultConfiguration: 'demo',
        options: { cwd: '{workspaceRoot}', command: 'nx run cli:repro.demo.table --output-style=stream' },
        configurations,
      };
      return [file, { projects: { [path.dirname(file)]: { targets } } }];
    }),
];
