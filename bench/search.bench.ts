/**
 * Plate search and trajectories over many stored plate reads, on the PostgreSQL server (issue 5,
 * "Benchmarks"): generated reads (1 million and 10 million by default), the real schema and indexes
 * (migrations), and the real query code (SightingsRepository.search / .trajectory). Results go to the
 * "search" section of bench/results/alerts.md.
 *
 *   npx tsx bench/search.bench.ts [--rows 1000000,10000000] [--queries 200] [--reuse]
 *
 * Each size gets its own schema (bench_search_<rows>) in $BENCH_DATABASE_URL (default
 * postgres://postgres@127.0.0.1:5432/test); `--reuse` keeps a schema that already holds that many
 * reads instead of generating them again. Generation: vehicles seen ~20 times each at random cameras
 * of 40 checkpoints over 90 days; the indexes are built after the rows are in (as a bulk load would).
 */
import { sql } from 'kysely';
import { loadConfig } from '../config/load.ts';
import { openDatabase, type ArgusDatabase } from '../storage/database.ts';
import { migrateToLatest } from '../storage/migrator.ts';
import { SightingsRepository, type SightingSearch } from '../storage/repositories/sightings.repository.ts';
import { argFlag, argNumber, argString } from './lib/analytics-env.ts';
import { runBench } from './lib/live-rig.ts';
import { loadLine, machineInfo } from './lib/machine.ts';
import { writeSection } from './lib/results-file.ts';
import { fmt, summarize, type Summary } from './lib/stats.ts';
import { ALERTS_RESULTS_FILE, ALERTS_RESULTS_LAYOUT } from './lib/alerts-results.ts';

const URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const SIZES = (argString('rows') ?? '1000000,10000000').split(',').map((s) => Number(s.trim())).filter((n) => Number.isInteger(n) && n > 0);
const QUERIES = argNumber('queries', 200);
const REUSE = argFlag('reuse');
const READS_PER_VEHICLE = 20;
const DAY = 86_400_000;
const END = Date.parse('2026-11-01T00:00:00Z');
const START = END - 90 * DAY;

const PROVINCES = '京沪津渝冀晋蒙辽吉黑苏浙皖闽赣鲁豫鄂湘粤桂琼川贵云藏陕甘青宁新';
const LETTERS = 'ABCDEFGHJKLMNPQRSTUVWXYZ';
const ALNUM = '0123456789ABCDEFGHJKLMNPQRSTUVWXYZ';

/** SQL for the plate of vehicle `v` (deterministic from md5 of its number), so queries can name real plates. */
const PLATE_SQL = `
  substr('${PROVINCES}', 1 + (get_byte(decode(md5(v::text), 'hex'), 0) % ${PROVINCES.length}), 1)
  || substr('${LETTERS}', 1 + (get_byte(decode(md5(v::text), 'hex'), 1) % ${LETTERS.length}), 1)
  || substr('${ALNUM}', 1 + (get_byte(decode(md5(v::text), 'hex'), 2) % ${ALNUM.length}), 1)
  || substr('${ALNUM}', 1 + (get_byte(decode(md5(v::text), 'hex'), 3) % ${ALNUM.length}), 1)
  || substr('${ALNUM}', 1 + (get_byte(decode(md5(v::text), 'hex'), 4) % ${ALNUM.length}), 1)
  || substr('${ALNUM}', 1 + (get_byte(decode(md5(v::text), 'hex'), 5) % ${ALNUM.length}), 1)
  || substr('${ALNUM}', 1 + (get_byte(decode(md5(v::text), 'hex'), 6) % ${ALNUM.length}), 1)`;

const SIGHTING_INDEXES = ['sightings_camera_observed_idx', 'sightings_observed_idx', 'sightings_plate_text_idx', 'sightings_plate_text_trgm_idx'];

async function open(schema: string): Promise<ArgusDatabase> {
  const config = loadConfig({ env: {}, overrides: { database: { url: URL, schema, poolSize: 4 }, dataDir: '/tmp/argus-bench-search' } });
  return openDatabase(config);
}

async function count(db: ArgusDatabase): Promise<number> {
  const r = await sql<{ n: string }>`select count(*)::text as n from sightings`.execute(db.db).catch(() => null);
  return r ? Number(r.rows[0]!.n) : -1;
}

async function generate(rows: number): Promise<{ db: ArgusDatabase; seconds: number; generated: boolean }> {
  const schema = `bench_search_${rows}`;
  let db = await open(schema);
  if (REUSE && (await count(db)) === rows) return { db, seconds: 0, generated: false };
  await db.close();
  const admin = await open('public');
  await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(admin.db);
  await admin.close();
  db = await open(schema);
  await migrateToLatest(db);
  const started = Date.now();
  // 40 checkpoints with positions, 4 cameras each.
  await sql`insert into sites (name, kind, latitude, longitude)
            select 'checkpoint ' || g, 'checkpoint', 31.0 + g * 0.01, 121.0 + g * 0.01 from generate_series(1, 40) g`.execute(db.db);
  await sql`insert into cameras (name, source_kind, source_url, site_id)
            select 'cp' || s.name || ' lane ' || l, 'rtsp', 'rtsp://127.0.0.1/' || s.id || '/' || l, s.id from sites s, generate_series(1, 4) l`.execute(db.db);
  for (const name of SIGHTING_INDEXES) await sql`drop index if exists ${sql.id(name)}`.execute(db.db);
  const vehicles = Math.max(1, Math.floor(rows / READS_PER_VEHICLE));
  const chunk = 1_000_000;
  for (let from = 0; from < rows; from += chunk) {
    const to = Math.min(rows, from + chunk);
    await sql
      .raw(
        `with cams as (select array_agg(id order by id) a from cameras)
         insert into sightings (observed_at, camera_id, kind, score, box, plate_text, plate_colour, plate_layers, stage)
         select to_timestamp(${START / 1000} + random() * ${(END - START) / 1000}),
                (select a from cams)[1 + floor(random() * 160)::int],
                'plate', 0.6 + random() * 0.4, '[0,0,100,30]'::jsonb,
                ${PLATE_SQL}, 'blue', 1, 'final'
         from (select (i % ${vehicles}) as v from generate_series(${from}, ${to - 1}) i) x`,
      )
      .execute(db.db);
    process.stderr.write(`[search] ${rows}: ${to} reads stored (${Math.round((Date.now() - started) / 1000)} s)\n`);
  }
  process.stderr.write(`[search] ${rows}: building indexes\n`);
  await sql`create index sightings_camera_observed_idx on sightings (camera_id, observed_at)`.execute(db.db);
  await sql`create index sightings_observed_idx on sightings (observed_at)`.execute(db.db);
  await sql`create index sightings_plate_text_idx on sightings (plate_text)`.execute(db.db);
  await sql`create index sightings_plate_text_trgm_idx on sightings using gin (plate_text gin_trgm_ops)`.execute(db.db);
  await sql`analyze sightings`.execute(db.db);
  return { db, seconds: (Date.now() - started) / 1000, generated: true };
}

/** Plates of random vehicles that exist in the data. */
async function samplePlates(db: ArgusDatabase, n: number): Promise<string[]> {
  const r = await sql<{ p: string }>`select plate_text as p from sightings tablesample system (0.1) limit ${n}`.execute(db.db);
  const plates = r.rows.map((x) => x.p);
  if (plates.length === 0) throw new Error('no plates sampled');
  while (plates.length < n) plates.push(plates[plates.length % r.rows.length]!);
  return plates;
}

interface Case {
  name: string;
  make(plate: string): SightingSearch | { trajectory: string };
}

const LAST_30_DAYS = { from: new Date(END - 30 * DAY), to: new Date(END) };
const CASES: Case[] = [
  { name: 'exact plate, newest 50', make: (p) => ({ plate: { text: p, mode: 'exact' }, limit: 50 }) },
  { name: 'fragment (4 characters inside), newest 50', make: (p) => ({ plate: { text: [...p].slice(2, 6).join(''), mode: 'contains' }, limit: 50 }) },
  { name: 'fragment (3 characters), last 30 days, newest 50', make: (p) => ({ plate: { text: [...p].slice(3, 6).join(''), mode: 'contains' }, ...LAST_30_DAYS, limit: 50 }) },
  { name: 'prefix (province + letter + 1), newest 50', make: (p) => ({ plate: { text: [...p].slice(0, 3).join(''), mode: 'prefix' }, limit: 50 }) },
  { name: 'wildcard (京A?12*-style), newest 50', make: (p) => ({ plate: { text: `${[...p].slice(0, 2).join('')}?${[...p].slice(3, 5).join('')}*`, mode: 'wildcard' }, limit: 50 }) },
  { name: 'fuzzy (trigram), newest 50', make: (p) => ({ plate: { text: [...p].slice(1).join(''), mode: 'fuzzy' }, limit: 50 }) },
  { name: 'trajectory of one vehicle (~20 reads, 40 checkpoints)', make: (p) => ({ trajectory: p }) },
];

async function measure(db: ArgusDatabase, plates: string[]): Promise<Array<{ name: string; summary: Summary; meanResults: number }>> {
  const repo = new SightingsRepository(db.db, { trgm: db.trgm, vector: db.vector });
  const out: Array<{ name: string; summary: Summary; meanResults: number }> = [];
  for (const c of CASES) {
    // Warm-up: the first queries load index pages into the cache.
    for (const p of plates.slice(0, 10)) {
      const q = c.make(p);
      if ('trajectory' in q) await repo.trajectory(q.trajectory, { limit: 500 });
      else await repo.search(q);
    }
    const times: number[] = [];
    let results = 0;
    for (const p of plates) {
      const q = c.make(p);
      const t = performance.now();
      results += 'trajectory' in q ? (await repo.trajectory(q.trajectory, { limit: 500 })).points.length : (await repo.search(q)).items.length;
      times.push(performance.now() - t);
    }
    const summary = summarize(times);
    out.push({ name: c.name, summary, meanResults: results / plates.length });
    process.stderr.write(`[search]   ${c.name}: p50 ${fmt(summary.p50, 1)} p95 ${fmt(summary.p95, 1)} ms, ${(results / plates.length).toFixed(1)} results\n`);
  }
  return out;
}

async function main(): Promise<void> {
  const sections: string[] = [];
  const m = machineInfo();
  for (const rows of SIZES) {
    process.stderr.write(`[search] ${rows} plate reads\n`);
    const { db, seconds, generated } = await generate(rows);
    try {
      const size = await sql<{ table: string; indexes: string }>`select pg_size_pretty(pg_table_size('sightings_default')) as table,
        pg_size_pretty(pg_indexes_size('sightings_default')) as indexes`.execute(db.db);
      const plates = await samplePlates(db, QUERIES);
      const results = await measure(db, plates);
      const worst = results.reduce((a, b) => (b.summary.p95 > a.summary.p95 ? b : a));
      sections.push(
        [
          `### ${rows.toLocaleString('en')} plate reads`,
          '',
          `${generated ? `Generated and indexed in ${Math.round(seconds)} s` : 'Reused from an earlier run'}; table ${size.rows[0]!.table}, indexes ${size.rows[0]!.indexes}; ${QUERIES} queries per row of the table, each for a different real plate (after 10 warm-up queries). ${loadLine()} at the end.`,
          '',
          '| query | p50 ms | p95 ms | max ms | mean results |',
          '|---|---|---|---|---|',
          ...results.map((r) => `| ${r.name} | ${fmt(r.summary.p50, 1)} | ${fmt(r.summary.p95, 1)} | ${fmt(r.summary.max, 1)} | ${r.meanResults.toFixed(1)} |`),
          '',
          `Slowest p95: ${worst.name}, ${fmt(worst.summary.p95, 1)} ms (goal ≤ 200 ms at 10 million).`,
        ].join('\n'),
      );
    } finally {
      await db.close();
    }
  }
  const body = [
    '## Plate search and trajectories',
    '',
    `\`npx tsx bench/search.bench.ts\` on the PostgreSQL server (${URL.replace(/\/\/[^@]*@/, '//')}), run ${new Date().toISOString()}; machine: ${m.cpuModel}, ${m.cores} cores, ${m.memoryGiB} GiB, Linux ${m.kernel}.`,
    'The queries are the production code (`SightingsRepository.search` / `.trajectory`) over the real schema and its',
    'indexes: `plate_text` B-tree (exact, prefix, trajectory), pg_trgm GIN on `plate_text` (fragments, wildcards, fuzzy),',
    '`(camera_id, observed_at)` and `observed_at`. Reads: vehicles seen about 20 times each at random cameras of 40',
    'checkpoints over 90 days.',
    '',
    ...sections,
  ].join('\n');
  writeSection(ALERTS_RESULTS_FILE, ALERTS_RESULTS_LAYOUT, 'search', body);
  process.stderr.write(`[search] wrote ${ALERTS_RESULTS_FILE}\n`);
}

runBench(main);
