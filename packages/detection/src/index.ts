/** @dilo/detection: VOC and COCO data, evaluators exact to the reference tools, detection transfer. */
export * from './mask/rle';
export * from './mask/segmentation';
export * from './coco/dataset';
export * from './coco/results';
export * from './coco/eval';
export * from './voc/classes';
export * from './voc/dataset';
export * from './voc/eval';
export * from './voc/detections';
export * from './cli/eval-command';
export * from './model/anchors';
export * from './model/box-transform';
export * from './model/nms';
export * from './model/matcher';
export * from './model/sampling';
export * from './model/postprocess';
export * from './model/roi-align';
