/**
 * Weighted kNN classification of L2-normalised features (Wu et al. 2018, as used to monitor
 * contrastive pre-training): the k most similar training features vote with weight
 * exp(similarity / T). Returns top-1 accuracy on the test features.
 */
export function knnAccuracy(
  train: Float32Array,
  trainLabels: readonly number[],
  test: Float32Array,
  testLabels: readonly number[],
  dim: number,
  opts: { k?: number; temperature?: number; classes?: number } = {},
): number {
  const k = Math.min(opts.k ?? 200, trainLabels.length);
  const T = opts.temperature ?? 0.07;
  const classes = opts.classes ?? Math.max(...trainLabels, ...testLabels) + 1;
  const a = normalizeRows(train, dim);
  const b = normalizeRows(test, dim);
  const nTrain = trainLabels.length;
  let correct = 0;
  const sims = new Float32Array(nTrain);
  const idx = new Int32Array(nTrain);
  for (let t = 0; t < testLabels.length; t++) {
    for (let i = 0; i < nTrain; i++) {
      let s = 0;
      for (let d = 0; d < dim; d++) s += a[i * dim + d] * b[t * dim + d];
      sims[i] = s;
      idx[i] = i;
    }
    const order = Array.from(idx).sort((p, q) => sims[q] - sims[p] || p - q);
    const votes = new Float64Array(classes);
    for (let j = 0; j < k; j++) votes[trainLabels[order[j]]] += Math.exp(sims[order[j]] / T);
    let best = 0;
    for (let c = 1; c < classes; c++) if (votes[c] > votes[best]) best = c;
    if (best === testLabels[t]) correct++;
  }
  return correct / testLabels.length;
}

function normalizeRows(x: Float32Array, dim: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let r = 0; r < x.length / dim; r++) {
    let s = 0;
    for (let d = 0; d < dim; d++) s += x[r * dim + d] ** 2;
    const inv = 1 / Math.max(Math.sqrt(s), 1e-12);
    for (let d = 0; d < dim; d++) out[r * dim + d] = x[r * dim + d] * inv;
  }
  return out;
}
