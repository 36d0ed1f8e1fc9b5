import { Rng, tf } from '@dilo/core';
import { ParamMap, type ResNetConfig } from '@dilo/contrastive';
import { type AnchorConfig, C4_ANCHORS, cellAnchors, gridAnchors } from './anchors';
import { ResNetC4 } from './backbone-c4';
import { applyBoxDeltas, boxDeltas, ROI_BOX_WEIGHTS, RPN_BOX_WEIGHTS } from './box-transform';
import { softmaxCrossEntropy, weightedBceWithLogits, weightedSmoothL1 } from './losses';
import { matchPredictions, pairwiseIou, RPN_MATCHER } from './matcher';
import { type Detections, fastRcnnInference } from './postprocess';
import { labelAndSampleProposals, RPN_TEST, RPN_TRAIN, type RpnProposalOptions, selectRpnProposals } from './proposals';
import { c4PoolerOptions, roiAlignOp } from './roi-align-op';
import { subsampleLabels } from './sampling';

export interface DetectorConfig {
  backbone: ResNetConfig;
  /** foreground classes K (background is index K, as in detectron2) */
  numClasses: number;
  anchors: AnchorConfig;
  /** detectron2 RPN.BATCH_SIZE_PER_IMAGE 256, POSITIVE_FRACTION 0.5 */
  rpnBatchPerImage: number;
  /** detectron2 ROI_HEADS.BATCH_SIZE_PER_IMAGE 512 (positive fraction 0.25) */
  roiBatchPerImage: number;
  rpnTrain: RpnProposalOptions;
  rpnTest: RpnProposalOptions;
  /** detectron2 FREEZE_AT: 2 (stem and res2 fixed) is its default with frozen BN */
  freezeAt: number;
}

export function defaultDetectorConfig(backbone: ResNetConfig, numClasses: number): DetectorConfig {
  return { backbone, numClasses, anchors: C4_ANCHORS, rpnBatchPerImage: 256, roiBatchPerImage: 512, rpnTrain: RPN_TRAIN, rpnTest: RPN_TEST, freezeAt: 2 };
}

/** One image of a training batch, in the (resized) input's pixel coordinates. */
export interface TrainTarget {
  /** the image's size inside the padded batch tensor */
  height: number;
  width: number;
  /** [M * 4] continuous x0, y0, x1, y1 */
  boxes: Float64Array;
  /** class 0..K-1 per box */
  classes: Int32Array;
}

export interface DetectorLosses {
  loss_rpn_cls: tf.Scalar;
  loss_rpn_loc: tf.Scalar;
  loss_cls: tf.Scalar;
  loss_box_reg: tf.Scalar;
}

function normalInit(rng: Rng, shape: number[], std: number): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const d = new Float32Array(n);
  for (let i = 0; i < n; i++) d[i] = rng.normal(0, std);
  return tf.tensor(d, shape);
}

/**
 * Faster R-CNN, C4 variant (detectron2 GeneralizedRCNN with Res5ROIHeads): res4 map -> RPN
 * (3x3 conv + ReLU, 1x1 objectness and anchor-delta convs) -> proposals -> ROI Align 14x14 ->
 * res5 -> global mean -> class scores (K + 1) and class-specific box deltas (4K).
 */
export class FasterRcnn {
  readonly backbone: ResNetC4;
  /** RPN and box-predictor parameters, named as in detectron2 (proposal_generator.rpn_head.*, roi_heads.box_predictor.*) */
  readonly heads = new ParamMap();
  readonly numAnchors: number;

  constructor(
    readonly config: DetectorConfig,
    rng: Rng,
    backboneParams?: ParamMap,
  ) {
    if (config.anchors.stride !== (config.backbone.smallStem ? 4 : 16)) throw new RangeError(`anchor stride ${config.anchors.stride} does not match the res4 stride of this backbone`);
    this.backbone = new ResNetC4(config.backbone, backboneParams, rng.stream('backbone'));
    this.numAnchors = cellAnchors(config.anchors.sizes, config.anchors.aspectRatios).length / 4;
    const C = this.backbone.res4Channels;
    const C5 = this.backbone.res5Channels;
    const K = config.numClasses;
    const A = this.numAnchors;
    const r = rng.stream('init', 'heads');
    // detectron2 StandardRPNHead and FastRCNNOutputLayers: normal(0.01) weights (0.001 for box deltas), zero biases.
    const h = this.heads;
    h.addParam('rpn.conv.weight', 'conv', normalInit(r, [3, 3, C, C], 0.01));
    h.addParam('rpn.conv.bias', 'vector', tf.zeros([C]));
    h.addParam('rpn.objectness_logits.weight', 'conv', normalInit(r, [1, 1, C, A], 0.01));
    h.addParam('rpn.objectness_logits.bias', 'vector', tf.zeros([A]));
    h.addParam('rpn.anchor_deltas.weight', 'conv', normalInit(r, [1, 1, C, 4 * A], 0.01));
    h.addParam('rpn.anchor_deltas.bias', 'vector', tf.zeros([4 * A]));
    h.addParam('box_predictor.cls_score.weight', 'linear', normalInit(r, [C5, K + 1], 0.01));
    h.addParam('box_predictor.cls_score.bias', 'vector', tf.zeros([K + 1]));
    h.addParam('box_predictor.bbox_pred.weight', 'linear', normalInit(r, [C5, 4 * K], 0.001));
    h.addParam('box_predictor.bbox_pred.bias', 'vector', tf.zeros([4 * K]));
  }

  /** Trainable variables by name: backbone convs above freezeAt ('backbone.' prefix) and all head parameters. */
  trainable(): Map<string, tf.Variable> {
    const out = new Map<string, tf.Variable>();
    for (const n of this.backbone.convNames(this.config.freezeAt)) out.set(`backbone.${n}`, this.backbone.params.param(n));
    for (const [n, e] of this.heads.params) out.set(`heads.${n}`, e.variable);
    return out;
  }

  /** Set the frozen BN statistics from images (random backbones): the trunk on them, res5 on their gt-box ROI features. */
  calibrateBatchNorm(images: tf.Tensor4D, targets: TrainTarget[]): void {
    const rois: number[] = [];
    targets.forEach((t, i) => {
      for (let k = 0; k < t.classes.length; k++) rois.push(i, ...t.boxes.subarray(4 * k, 4 * k + 4));
    });
    this.backbone.calibrateBatchNorm(images, rois.length ? (res4) => roiAlignOp(res4, rois, c4PoolerOptions(this.backbone.featureStride)) : undefined);
  }

  /** RPN head on the res4 map: objectness [n, h*w*A] and deltas [n, h*w*A, 4], anchor order (y, x, a). */
  private rpnHead(res4: tf.Tensor4D): { logits: tf.Tensor2D; deltas: tf.Tensor3D } {
    const p = (n: string) => this.heads.param(n);
    const [n, h, w] = res4.shape;
    const t = tf.relu(tf.add(tf.conv2d(res4, p('rpn.conv.weight') as tf.Tensor4D, 1, 'same'), p('rpn.conv.bias')));
    const logits = tf.add(tf.conv2d(t as tf.Tensor4D, p('rpn.objectness_logits.weight') as tf.Tensor4D, 1, 'valid'), p('rpn.objectness_logits.bias'));
    const deltas = tf.add(tf.conv2d(t as tf.Tensor4D, p('rpn.anchor_deltas.weight') as tf.Tensor4D, 1, 'valid'), p('rpn.anchor_deltas.bias'));
    const HWA = h * w * this.numAnchors;
    return { logits: tf.reshape(logits, [n, HWA]), deltas: tf.reshape(deltas, [n, HWA, 4]) };
  }

  /** Box head on ROIs [R * 5]: class logits [R, K + 1] and deltas [R, 4K]. */
  private boxHead(res4: tf.Tensor4D, rois: Float64Array): { logits: tf.Tensor2D; deltas: tf.Tensor2D } {
    const pooled = roiAlignOp(res4, rois, c4PoolerOptions(this.backbone.featureStride));
    const feat = tf.mean(this.backbone.res5(pooled), [1, 2]) as tf.Tensor2D;
    const p = (n: string) => this.heads.param(n) as tf.Tensor;
    return {
      logits: tf.add(tf.matMul(feat, p('box_predictor.cls_score.weight') as tf.Tensor2D), p('box_predictor.cls_score.bias')),
      deltas: tf.add(tf.matMul(feat, p('box_predictor.bbox_pred.weight') as tf.Tensor2D), p('box_predictor.bbox_pred.bias')),
    };
  }

  private proposals(anchors: Float64Array, logits: Float32Array, deltas: Float32Array, img: number, HWA: number, size: { height: number; width: number }, o: RpnProposalOptions) {
    const boxes = applyBoxDeltas(deltas.subarray(img * HWA * 4, (img + 1) * HWA * 4), anchors, RPN_BOX_WEIGHTS);
    return selectRpnProposals(boxes, logits.subarray(img * HWA, (img + 1) * HWA), size, o);
  }

  /**
   * Training losses for a batch (images NHWC, normalised, padded bottom-right to a common size).
   * Sampling draws from rng. Call inside tf.variableGrads / tidy.
   */
  losses(images: tf.Tensor4D, targets: TrainTarget[], rng: Rng): DetectorLosses {
    const cfg = this.config;
    const K = cfg.numClasses;
    const n = images.shape[0];
    if (targets.length !== n) throw new RangeError(`losses: ${targets.length} targets for ${n} images`);
    const res4 = this.backbone.trunk(images);
    const [, fh, fw] = res4.shape;
    const anchors = gridAnchors(cfg.anchors, fh, fw);
    const HWA = anchors.length / 4;
    const rpn = this.rpnHead(res4);
    const logitsHost = rpn.logits.dataSync() as Float32Array;
    const deltasHost = rpn.deltas.dataSync() as Float32Array;

    // RPN targets: anchors matched to gt (0.3 / 0.7, low-quality matches), 256 sampled per image.
    const objLabel = new Float32Array(n * HWA);
    const objWeight = new Float32Array(n * HWA);
    const locTarget = new Float32Array(n * HWA * 4);
    const locWeight = new Float32Array(n * HWA * 4);
    const rois: number[] = [];
    const roiClass: number[] = [];
    const roiTarget: number[][] = [];
    for (let i = 0; i < n; i++) {
      const t = targets[i]!;
      const M = t.classes.length;
      const { matches, labels } = matchPredictions(pairwiseIou(t.boxes, anchors), M, HWA, RPN_MATCHER);
      const { positive, negative } = subsampleLabels(labels, cfg.rpnBatchPerImage, 0.5, 0, rng.stream('rpn', i));
      for (const j of negative) objWeight[i * HWA + j] = 1;
      if (positive.length) {
        const src = new Float64Array(positive.length * 4);
        const dst = new Float64Array(positive.length * 4);
        positive.forEach((j, k) => {
          src.set(anchors.subarray(4 * j, 4 * j + 4), 4 * k);
          dst.set(t.boxes.subarray(4 * matches[j]!, 4 * matches[j]! + 4), 4 * k);
        });
        const d = boxDeltas(src, dst, RPN_BOX_WEIGHTS);
        positive.forEach((j, k) => {
          objWeight[i * HWA + j] = 1;
          objLabel[i * HWA + j] = 1;
          for (let q = 0; q < 4; q++) {
            locTarget[(i * HWA + j) * 4 + q] = d[4 * k + q]!;
            locWeight[(i * HWA + j) * 4 + q] = 1;
          }
        });
      }
      // Proposals (no gradient, as detectron2 detaches them), then the ROI heads' sample.
      const props = this.proposals(anchors, logitsHost, deltasHost, i, HWA, t, cfg.rpnTrain);
      const s = labelAndSampleProposals(props.boxes, t.boxes, t.classes, K, rng.stream('roi', i), { batchSizePerImage: cfg.roiBatchPerImage });
      const fg: number[] = [];
      for (let r = 0; r < s.classes.length; r++) {
        rois.push(i, s.boxes[4 * r]!, s.boxes[4 * r + 1]!, s.boxes[4 * r + 2]!, s.boxes[4 * r + 3]!);
        roiClass.push(s.classes[r]!);
        if (s.classes[r]! < K) fg.push(r);
      }
      const src = new Float64Array(fg.length * 4);
      const dst = new Float64Array(fg.length * 4);
      fg.forEach((r, k) => {
        src.set(s.boxes.subarray(4 * r, 4 * r + 4), 4 * k);
        dst.set(t.boxes.subarray(4 * s.matchedGt[r]!, 4 * s.matchedGt[r]! + 4), 4 * k);
      });
      const d = boxDeltas(src, dst, ROI_BOX_WEIGHTS);
      const perRoi: number[][] = Array.from({ length: s.classes.length }, () => []);
      fg.forEach((r, k) => (perRoi[r] = [d[4 * k]!, d[4 * k + 1]!, d[4 * k + 2]!, d[4 * k + 3]!]));
      roiTarget.push(...perRoi);
    }
    const rpnNorm = cfg.rpnBatchPerImage * n;
    const loss_rpn_cls = tf.div(weightedBceWithLogits(rpn.logits, tf.tensor2d(objLabel, [n, HWA]), tf.tensor2d(objWeight, [n, HWA])), rpnNorm) as tf.Scalar;
    const loss_rpn_loc = tf.div(weightedSmoothL1(rpn.deltas, tf.tensor3d(locTarget, [n, HWA, 4]), tf.tensor3d(locWeight, [n, HWA, 4]), 0), rpnNorm) as tf.Scalar;

    const R = roiClass.length;
    const head = this.boxHead(res4, Float64Array.from(rois));
    const oneHot = new Float32Array(R * (K + 1));
    const boxT = new Float32Array(R * 4 * K);
    const boxW = new Float32Array(R * 4 * K);
    roiClass.forEach((c, r) => {
      oneHot[r * (K + 1) + c] = 1;
      if (c < K) {
        for (let q = 0; q < 4; q++) {
          boxT[r * 4 * K + 4 * c + q] = roiTarget[r]![q]!;
          boxW[r * 4 * K + 4 * c + q] = 1;
        }
      }
    });
    const loss_cls = softmaxCrossEntropy(head.logits, tf.tensor2d(oneHot, [R, K + 1]));
    // detectron2 normalises the box loss by the number of sampled ROIs, not the foreground ones.
    const loss_box_reg = tf.div(weightedSmoothL1(head.deltas, tf.tensor2d(boxT, [R, 4 * K]), tf.tensor2d(boxW, [R, 4 * K]), 0), Math.max(R, 1)) as tf.Scalar;
    return { loss_rpn_cls, loss_rpn_loc, loss_cls, loss_box_reg };
  }

  /** Detections for one image [1, H, W, 3] whose content is height x width (boxes in those pixels). */
  detect(image: tf.Tensor4D, size: { height: number; width: number }, opts: { scoreThresh?: number; nmsThresh?: number; topk?: number } = {}): Detections {
    const K = this.config.numClasses;
    let proposals: Float64Array = new Float64Array(0);
    let scores: Float32Array = new Float32Array(0);
    let deltas: Float32Array = new Float32Array(0);
    tf.tidy(() => {
      const res4 = this.backbone.trunk(image);
      const [, fh, fw] = res4.shape;
      const anchors = gridAnchors(this.config.anchors, fh, fw);
      const rpn = this.rpnHead(res4);
      const props = this.proposals(anchors, rpn.logits.dataSync() as Float32Array, rpn.deltas.dataSync() as Float32Array, 0, anchors.length / 4, size, this.config.rpnTest);
      proposals = props.boxes;
      const P = props.logits.length;
      if (P === 0) return;
      const rois = new Float64Array(P * 5);
      for (let r = 0; r < P; r++) rois.set([0, ...props.boxes.subarray(4 * r, 4 * r + 4)], 5 * r);
      const head = this.boxHead(res4, rois);
      scores = tf.softmax(head.logits).dataSync() as Float32Array;
      deltas = head.deltas.dataSync() as Float32Array;
    });
    const R = proposals.length / 4;
    const boxes = applyBoxDeltas(deltas, proposals, ROI_BOX_WEIGHTS);
    return fastRcnnInference(boxes, scores, R, K, size, opts);
  }

  dispose(): void {
    this.backbone.dispose();
    this.heads.dispose();
  }
}
