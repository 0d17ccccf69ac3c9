import { sql, type Kysely, type Migration } from 'kysely';

/**
 * What an ONVIF camera told us when it was added: its main stream URI (the sub stream goes to
 * sub_stream_url), snapshot URI, the media profile used for PTZ, and its device information.
 * For RTSP cameras stream_url stays null and source_url is the stream.
 */
export function cameraStreamsMigration(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .alterTable('cameras')
        .addColumn('stream_url', 'text')
        .addColumn('snapshot_url', 'text')
        .addColumn('onvif_profile', 'text')
        .addColumn('device_info', 'jsonb')
        .execute();
    },
    async down(db: Kysely<unknown>) {
      for (const column of ['device_info', 'onvif_profile', 'snapshot_url', 'stream_url']) {
        await sql`alter table cameras drop column if exists ${sql.ref(column)}`.execute(db);
      }
    },
  };
}
