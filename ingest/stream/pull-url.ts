import { filePathOf, type CameraSourceKind } from '../../contracts/camera-source.ts';

/** What pullUrl needs of a camera: its addresses and its credentials (the password decrypted). */
export interface PullSource {
  sourceKind: CameraSourceKind;
  sourceUrl: string;
  /** ONVIF cameras: the stream the device reported; pulled instead of sourceUrl. */
  streamUrl: string | null;
  username: string | null;
  password: string | null;
}

/**
 * The address ffmpeg pulls: the stream of an ONVIF camera, the RTSP URL, or a file path; credentials
 * put in. The result holds the password: it goes into an ffmpeg argv only, never into a log line.
 */
export function pullUrl(camera: PullSource): string {
  if (camera.sourceKind === 'file') return filePathOf(camera.sourceUrl);
  const url = new URL(camera.sourceKind === 'onvif' ? (camera.streamUrl ?? camera.sourceUrl) : camera.sourceUrl);
  if (camera.username) url.username = encodeURIComponent(camera.username);
  if (camera.password) url.password = encodeURIComponent(camera.password);
  return url.toString();
}
