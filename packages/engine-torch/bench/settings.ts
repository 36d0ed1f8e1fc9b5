/** The benchmark workloads (issue 6): ResNet-18 small-image-stem training and ResNet-50 forward. */
export const SETTINGS = {
  train: { depth: 18 as const, smallStem: true, size: 32, batch: 32, classes: 10 },
  forward: { depth: 50 as const, smallStem: false, size: 224, batch: 8, classes: 1000 },
};
