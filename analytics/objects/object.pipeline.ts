import { VEHICLE_LABELS, type ObjectDetection } from '../../contracts/analytics.ts';
import type { ObjectDetectorModel } from '../../models/object-detector.model.ts';
import type { Raster } from '../../models/raster.ts';
import { nms } from '../geometry/boxes.ts';

/** People and vehicles: YOLOX-nano → class-aware non-maximum suppression. */
export class ObjectPipeline {
  constructor(private readonly detector: ObjectDetectorModel) {}

  async run(image: Raster, minScore = 0.35): Promise<ObjectDetection[]> {
    const found = await this.detector.detect(image);
    const perClass = nms(found, 0.45, { classKey: (d) => d.label, minScore });
    // One vehicle is often both a car and a truck (or bus): keep the likelier label only.
    const vehicles = nms(
      perClass.filter((d) => VEHICLE_LABELS.includes(d.label)),
      0.7,
    );
    return perClass.filter((d) => !VEHICLE_LABELS.includes(d.label) || vehicles.includes(d)).map((d) => ({ label: d.label, score: d.score, box: d.box }));
  }
}
