import { describe, expect, it } from 'vitest';
import {
  MODEL_MANIFEST,
  PLATE_REC_ALPHABET,
  describeSource,
  findModel,
  isGitHubSource,
  isNpmSource,
  requiredModels,
} from '../../../models/manifest.ts';

describe('model manifest', () => {
  it('lists every model of the shared models README', () => {
    expect(MODEL_MANIFEST.map((m) => m.name).sort()).toEqual(
      [
        'faceplugin_fr_feature',
        'mobilefacenet',
        'plate_detect',
        'plate_rec_color',
        'ppocr_keys_v1',
        'ppocr_v4_det',
        'ppocr_v4_rec',
        'y5fu_320x_sim',
        'y5fu_640x_sim',
        'yolox_nano',
        'yunet_n_320_320',
        'yunet_n_640_640',
        'yunet_n_dynamic',
      ].sort(),
    );
  });

  it.each(MODEL_MANIFEST.map((m) => [m.name, m] as const))('%s has a full sha256, size, licence, upstream and contract', (_name, m) => {
    expect(m.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(Number.isInteger(m.bytes) && m.bytes > 0).toBe(true);
    expect(m.licence.trim().length).toBeGreaterThan(2);
    expect(m.contract.trim().length).toBeGreaterThan(20);
    expect(m.description.trim().length).toBeGreaterThan(5);
    expect(m.file).toMatch(/^(face|plate|detect|ocr)\/[A-Za-z0-9_.-]+\.(onnx|txt)$/);
    if (isGitHubSource(m.upstream)) {
      expect(m.upstream.repo).toMatch(/^[\w.-]+\/[\w.-]+$/);
      expect(m.upstream.commit).toMatch(/^[0-9a-f]{40}$/);
      expect(m.upstream.path.length).toBeGreaterThan(0);
      expect(describeSource(m.upstream)).toContain(`https://github.com/${m.upstream.repo}/blob/${m.upstream.commit}/`);
    } else {
      expect(isNpmSource(m.upstream)).toBe(true);
      expect(m.upstream.npmPackage).toMatch(/^(@[\w.-]+\/)?[\w.-]+$/);
      expect(m.upstream.version).toMatch(/^\d+\.\d+\.\d+$/);
      expect(m.upstream.path.length).toBeGreaterThan(0);
    }
  });

  it('has unique names, files and hashes', () => {
    for (const key of ['name', 'file', 'sha256'] as const) {
      const values = MODEL_MANIFEST.map((m) => m[key]);
      expect(new Set(values).size, key).toBe(values.length);
    }
  });

  it('marks exactly the models of the default pipelines as required', () => {
    expect(requiredModels().map((m) => m.name).sort()).toEqual(
      ['mobilefacenet', 'plate_detect', 'plate_rec_color', 'yolox_nano', 'yunet_n_dynamic'].sort(),
    );
  });

  it('records the GPL-3.0 upstream of the plate models and the unclear provenance of the face embedders', () => {
    expect(findModel('plate_detect')?.licence).toContain('GPL-3.0');
    expect(findModel('plate_rec_color')?.licence).toContain('GPL-3.0');
    expect(findModel('mobilefacenet')?.licenceNote).toMatch(/unclear/);
    expect(findModel('faceplugin_fr_feature')?.licenceNote).toMatch(/unclear/);
  });

  it('is frozen', () => {
    const first = MODEL_MANIFEST[0]!;
    expect(Object.isFrozen(MODEL_MANIFEST)).toBe(true);
    expect(Object.isFrozen(first)).toBe(true);
    expect(Object.isFrozen(first.upstream)).toBe(true);
  });

  it('carries the 78-class plate alphabet with the CTC blank first', () => {
    expect(PLATE_REC_ALPHABET).toHaveLength(78);
    expect(PLATE_REC_ALPHABET[0]).toBe('#');
    expect(PLATE_REC_ALPHABET[1]).toBe('京');
  });
});
