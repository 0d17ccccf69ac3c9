/**
 * The interface that joins ingest's frame output to analytics' frame input. ingest and analytics
 * never import each other; a role entry point connects them through this.
 */
export interface VideoFrame {
  cameraId: string;
  /** Capture time, ms since the epoch. */
  capturedAt: number;
  width: number;
  height: number;
  /** Packed pixels. */
  format: 'bgr24' | 'rgb24';
  data: Uint8Array;
}

export interface FrameSink {
  /** Offer a frame; a full sink drops its oldest frame and counts the drop. */
  push(frame: VideoFrame): void;
}
