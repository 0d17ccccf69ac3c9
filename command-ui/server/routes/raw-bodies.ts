import type { FastifyReply } from 'fastify';
import type { ZodApp } from './types.ts';

/**
 * What routes that take or give files share: request bodies kept as raw Buffers (CSV imports,
 * photos), and evidence JPEGs sent with private caching.
 */

/** Let requests of these content types arrive as a Buffer body (registered once per app). */
export function acceptRawBodies(app: ZodApp, types: readonly string[]): void {
  for (const type of types) {
    if (!app.hasContentTypeParser(type)) app.addContentTypeParser(type, { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  }
}

/** A JPEG response: cached privately (the address changes when the image does), never sniffed. */
export function sendJpeg(reply: FastifyReply, data: Buffer) {
  return reply
    .header('content-type', 'image/jpeg')
    .header('content-length', String(data.length))
    .header('cache-control', 'private, max-age=86400')
    .header('x-content-type-options', 'nosniff')
    .send(data);
}
