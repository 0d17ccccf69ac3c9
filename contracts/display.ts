import { z } from 'zod';
import { ALERT_LEVELS } from './watchlists.ts';

/**
 * What every screen needs to draw things the way this installation wants them: the names, actions and
 * colours of the four alert levels (the scheme is fixed red > orange > yellow > blue in severity; what
 * each is called and which colour it shows in are the installation's), and the map's tile source.
 * `GET /api/settings/display`, for any signed-in user.
 */

export const localizedTextSchema = z
  .object({ en: z.string().trim().min(1).max(60), 'zh-CN': z.string().trim().min(1).max(60) })
  .strict()
  .describe('The same text in English and Chinese');
export type LocalizedText = z.infer<typeof localizedTextSchema>;

export const hexColourSchema = z
  .string()
  .regex(/^#[0-9a-fA-F]{6}$/, 'a colour as #rrggbb')
  .describe('Colour as #rrggbb');

export const alertLevelDisplaySchema = z
  .object({
    name: localizedTextSchema.describe('What the level is called'),
    action: localizedTextSchema.describe('What officers do on a hit of this level'),
    colour: hexColourSchema,
  })
  .strict();
export type AlertLevelDisplay = z.infer<typeof alertLevelDisplaySchema>;

export const DEFAULT_ALERT_LEVELS: Readonly<Record<(typeof ALERT_LEVELS)[number], AlertLevelDisplay>> = {
  red: { name: { en: 'Red', 'zh-CN': '红色' }, action: { en: 'Stop and detain', 'zh-CN': '拦截抓捕' }, colour: '#ff3d3d' },
  orange: { name: { en: 'Orange', 'zh-CN': '橙色' }, action: { en: 'Stop and inspect', 'zh-CN': '拦截检查' }, colour: '#ff8c1a' },
  yellow: { name: { en: 'Yellow', 'zh-CN': '黄色' }, action: { en: 'Check and record', 'zh-CN': '核查登记' }, colour: '#ffd11a' },
  blue: { name: { en: 'Blue', 'zh-CN': '蓝色' }, action: { en: 'Note only', 'zh-CN': '仅提示' }, colour: '#2e8dff' },
};

export const mapTilesSchema = z
  .object({
    url: z
      .string()
      .min(1)
      .regex(/\{z\}/, 'an XYZ template with {z}, {x} and {y}')
      .regex(/\{x\}/, 'an XYZ template with {z}, {x} and {y}')
      .regex(/\{y\}/, 'an XYZ template with {z}, {x} and {y}')
      .describe('XYZ raster tile template, e.g. http://tiles.police.local/{z}/{x}/{y}.png (a server on your own network)'),
    attribution: z.string().max(200).default('').describe('Shown in the map corner'),
    minZoom: z.number().int().min(0).max(22).default(0),
    maxZoom: z.number().int().min(0).max(22).default(18),
  })
  .strict();

export const mapSettingsSchema = z
  .object({
    tiles: mapTilesSchema
      .nullable()
      .default(null)
      .describe('Raster tile source; null: no tiles (a coordinate grid, no request leaves the network)'),
    center: z
      .object({ latitude: z.number().min(-90).max(90), longitude: z.number().min(-180).max(180) })
      .strict()
      .default({ latitude: 31.2304, longitude: 121.4737 })
      .describe('Where the map opens when nothing with a position is shown (WGS84)'),
    zoom: z.number().min(0).max(22).default(13).describe('Zoom level the map opens at'),
  })
  .strict();
export type MapSettings = z.infer<typeof mapSettingsSchema>;

export const displaySettingsSchema = z.object({
  alertLevels: z.object(Object.fromEntries(ALERT_LEVELS.map((l) => [l, alertLevelDisplaySchema])) as Record<(typeof ALERT_LEVELS)[number], typeof alertLevelDisplaySchema>),
  map: mapSettingsSchema,
  /** A unit without a position for this long is shown as stale (the server's `dispatch.staleAfterSeconds`). */
  unitStaleAfterSeconds: z.number().int().positive(),
});
export type DisplaySettings = z.infer<typeof displaySettingsSchema>;
