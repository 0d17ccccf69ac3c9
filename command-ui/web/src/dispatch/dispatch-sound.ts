import { TonePlayer, type Beep } from '../components/tone-player.ts';

/**
 * The tablet's dispatch tone, synthesised with WebAudio (no sound file): a loud rising two-tone
 * pattern, repeated every few seconds until the dispatch is accepted (or no longer current).
 */
/** Two tones, alternating, four times. */
const RING: readonly Beep[] = [880, 1175, 880, 1175].map((frequency) => ({ frequency, ms: 220, gapMs: 40, gain: 0.35 }));

export class DispatchSound {
  private readonly tones = new TonePlayer();
  private timer: ReturnType<typeof setInterval> | null = null;
  private ringing: string | null = null;
  /** Everything sounded, for tests (`window.__argusPatrol.sounds()`). */
  readonly played: { dispatchId: string; at: number }[] = [];

  /** Browsers start audio suspended until a user gesture: call from a touch. */
  unlock(): void {
    this.tones.unlock();
  }

  private playOnce(dispatchId: string): void {
    this.played.push({ dispatchId, at: Date.now() });
    this.tones.play(RING);
  }

  /** Ring for a new dispatch, repeated every 3 s until `stop()`. */
  ring(dispatchId: string): void {
    if (this.ringing === dispatchId) return;
    this.stop();
    this.ringing = dispatchId;
    this.playOnce(dispatchId);
    this.timer = setInterval(() => this.playOnce(dispatchId), 3000);
  }

  get ringingDispatch(): string | null {
    return this.ringing;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.ringing = null;
  }

  dispose(): void {
    this.stop();
    this.tones.dispose();
  }
}
