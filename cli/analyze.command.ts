import { readdir, readFile, stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { extname, join } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { DEFAULT_REQUEST, type AnalysisRequest, type AnalyzerModelNames } from '../analytics/analyzer.ts';
import { decodeImage } from '../analytics/image/raster-ops.ts';
import { AnalysisPool } from '../analytics/worker/analysis-pool.ts';
import { PIPELINES, type AnalyzeFileResult, type PipelineName } from '../contracts/analytics.ts';
import { ValidationError } from '../contracts/errors.ts';
import { addCommonOptions, configFor, type CommonOptions } from './common.ts';

/**
 * `argus analyze FILE...`: run the recognition pipelines on still images, for analysts and for
 * evaluation. With --json it prints one JSON array with one object per image, the public contract
 * documented in docs/analyze.md:
 *   {"file", "plates":[{"text","colour","layers","score","box","corners"}],
 *    "faces":[{"box","score","landmarks","quality"(,"embedding")}], "objects":[{"label","score","box"}]}
 * An image that cannot be read gets an "error" member and empty lists; the exit code is then 1.
 */

export const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.webp', '.bmp', '.tif', '.tiff', '.gif']);

export interface AnalyzeOptions extends CommonOptions {
  json?: boolean;
  embeddings?: boolean;
  pipelines: PipelineName[];
  modelsDir?: string;
  minPlateWidth: number;
  minFaceSize: number;
  workers?: number;
}

export type AnalyzeOutput = AnalyzeFileResult & { error?: string };

/** Files as given; a folder stands for the images directly inside it, sorted by name. */
export async function expandInputs(inputs: readonly string[]): Promise<string[]> {
  const files: string[] = [];
  for (const input of inputs) {
    let st;
    try {
      st = await stat(input);
    } catch {
      files.push(input); // reported as unreadable with the others
      continue;
    }
    if (st.isDirectory()) {
      const names = (await readdir(input)).filter((n) => IMAGE_EXTENSIONS.has(extname(n).toLowerCase())).sort();
      files.push(...names.map((n) => join(input, n)));
    } else {
      files.push(input);
    }
  }
  return files;
}

function parsePipelines(value: string): PipelineName[] {
  const names = value.split(',').map((s) => s.trim()).filter(Boolean);
  const bad = names.filter((n) => !(PIPELINES as readonly string[]).includes(n));
  if (bad.length || names.length === 0) throw new InvalidArgumentError(`use a comma-separated list of ${PIPELINES.join(', ')}`);
  return names as PipelineName[];
}

function parseCount(min: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`a whole number ≥ ${min}`);
    return n;
  };
}

function describe(result: AnalyzeOutput): string {
  const lines = [`${result.file}`];
  if (result.error) lines.push(`  error: ${result.error}`);
  for (const p of result.plates) lines.push(`  plate  ${p.text}  ${p.colour}, ${p.layers === 2 ? 'double' : 'single'} row, score ${p.score.toFixed(2)}, box ${p.box.join(',')}`);
  for (const f of result.faces) lines.push(`  face   score ${f.score.toFixed(2)}, quality ${f.quality.toFixed(2)}, box ${f.box.join(',')}`);
  for (const o of result.objects) lines.push(`  ${o.label.padEnd(6)} score ${o.score.toFixed(2)}, box ${o.box.join(',')}`);
  if (!result.error && result.plates.length + result.faces.length + result.objects.length === 0) lines.push('  nothing found');
  return lines.join('\n');
}

/** A JSON array with one image per line: valid JSON for programs, still readable by people. */
export function formatJson(results: readonly AnalyzeOutput[]): string {
  return results.length === 0 ? '[]\n' : `[\n${results.map((r) => JSON.stringify(r)).join(',\n')}\n]\n`;
}

/** Analyse the files; results in input order. `onProgress` is called after each file. */
export async function analyzeFiles(
  files: readonly string[],
  options: { modelsDir: string; request: AnalysisRequest; workers: number; models?: AnalyzerModelNames },
  onProgress?: (done: number, total: number) => void,
): Promise<AnalyzeOutput[]> {
  const pool = await AnalysisPool.start({
    modelsDir: options.modelsDir,
    workers: options.workers,
    models: options.models,
    preload: options.request.pipelines,
    preloadEmbeddings: options.request.embeddings,
  });
  let done = 0;
  const results: AnalyzeOutput[] = new Array(files.length);
  const one = async (file: string): Promise<AnalyzeOutput> => {
    try {
      const image = await decodeImage(await readFile(file), file);
      const { analysis } = await pool.analyze(image, options.request);
      return { file, ...analysis };
    } catch (err) {
      return { file, error: (err as Error).message, plates: [], faces: [], objects: [] };
    } finally {
      onProgress?.(++done, files.length);
    }
  };
  // A few images in flight per worker: decoded images are not all held in memory at once.
  let next = 0;
  const lane = async () => {
    while (next < files.length) {
      const i = next++;
      results[i] = await one(files[i]!);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(files.length, pool.size * 2) }, lane));
    return results;
  } finally {
    await pool.close();
  }
}

export function registerAnalyzeCommand(program: Command): void {
  addCommonOptions(
    program
      .command('analyze')
      .description('Read plates, faces and vehicles/people in still images (files or folders of images)')
      .argument('<files...>', 'image files, or folders whose images are all analysed')
      .option('--json', 'print one JSON array, one object per image (the documented contract)')
      .option('--embeddings', 'add each face embedding (L2-normalised) to the output')
      .option('--pipelines <list>', `which pipelines to run: ${PIPELINES.join(',')}`, parsePipelines, [...PIPELINES])
      .option('--models-dir <dir>', 'folder with the model files (default: the configured modelsDir)')
      .option('--min-plate-width <px>', 'ignore plates narrower than this', parseCount(1), DEFAULT_REQUEST.minPlateWidth)
      .option('--min-face-size <px>', 'ignore faces smaller than this', parseCount(1), DEFAULT_REQUEST.minFaceSize)
      .option('--workers <n>', 'analysis worker threads (default: one per core, at most one per file)', parseCount(1)),
  ).action(async (inputs: string[], options: AnalyzeOptions) => {
    const config = configFor(options);
    const modelsDir = options.modelsDir ?? config.modelsDir;
    const files = await expandInputs(inputs);
    if (files.length === 0) {
      throw new ValidationError(`No images (${[...IMAGE_EXTENSIONS].join(' ')}) found in ${inputs.join(', ')}.`, [{ path: 'files', message: 'no images' }]);
    }
    const request: AnalysisRequest = {
      ...DEFAULT_REQUEST,
      pipelines: options.pipelines,
      embeddings: Boolean(options.embeddings),
      minPlateWidth: options.minPlateWidth,
      minFaceSize: options.minFaceSize,
    };
    const workers = options.workers ?? Math.max(1, Math.min(availableParallelism(), files.length));
    const showProgress = process.stderr.isTTY && files.length > 1;
    const results = await analyzeFiles(files, { modelsDir, request, workers, models: config.analytics.models }, (done, total) => {
      if (showProgress) process.stderr.write(`\ranalysing ${done}/${total}${done === total ? '\n' : ''}`);
    });
    if (options.json) process.stdout.write(formatJson(results));
    else process.stdout.write(`${results.map(describe).join('\n')}\n`);
    const failed = results.filter((r) => r.error).length;
    if (failed > 0) {
      process.stderr.write(`argus: ${failed} of ${results.length} image${results.length > 1 ? 's' : ''} could not be analysed.\n`);
      process.exitCode = 1;
    }
  });
}
