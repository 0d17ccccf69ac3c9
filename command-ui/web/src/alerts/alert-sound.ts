import { TonePlayer } from '../components/tone-player.ts';
import type { AlertLevel } from './alert-types.ts';

/**
 * The terminal's warning tones, synthesised with WebAudio (no sound files to ship): red a fast high
 * triple repeated until the alert is acknowledged, orange a double, yellow a single beep, blue none.
 */
interface Pattern {
  frequency: number;
  beeps: number;
  beepMs: number;
  gapMs: number;
  /** Repeat the pattern every this many ms while the alert is unacknowledged; 0 plays once. */
  repeatMs: number;
}

export const SOUND_PATTERNS: Readonly<Record<AlertLevel, Pattern | null>> = {
  red: { frequency: 1320, beeps: 3, beepMs: 110, gapMs: 70, repeatMs: 1500 },
  orange: { frequency: 990, beeps: 2, beepMs: 160, gapMs: 110, repeatMs: 0 },
  yellow: { frequency: 760, beeps: 1, beepMs: 220, gapMs: 0, repeatMs: 0 },
  blue: null,
};

export class AlertSound {
  private readonly tones = new TonePlayer();
  private timer: ReturnType<typeof setInterval> | null = null;
  private repeating: string | null = null;
  muted = false;
  /** Everything played, for tests (`window.__argusAlertSound`). */
  readonly played: { level: AlertLevel; at: number }[] = [];

  /** Browsers start audio suspended until a user gesture: call from a click. */
  unlock(): void {
    this.tones.unlock();
  }

  private playOnce(level: AlertLevel): void {
    const pattern = SOUND_PATTERNS[level];
    if (!pattern || this.muted) return;
    this.played.push({ level, at: Date.now() });
    this.tones.play(Array.from({ length: pattern.beeps }, () => ({ frequency: pattern.frequency, ms: pattern.beepMs, gapMs: pattern.gapMs, gain: 0.25 })));
  }

  /** Sound a new alert: once, or repeated (red) until `stop(alertId)`. */
  announce(alertId: string, level: AlertLevel): void {
    const pattern = SOUND_PATTERNS[level];
    if (!pattern) return;
    this.playOnce(level);
    if (pattern.repeatMs > 0) {
      this.stopRepeat();
      this.repeating = alertId;
      this.timer = setInterval(() => this.playOnce(level), pattern.repeatMs);
    }
  }

  /** Stop repeating for this alert (acknowledged, or no longer shown). */
  stop(alertId?: string): void {
    if (alertId === undefined || alertId === this.repeating) this.stopRepeat();
  }

  get repeatingAlert(): string | null {
    return this.repeating;
  }

  private stopRepeat(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.repeating = null;
  }

  dispose(): void {
    this.stopRepeat();
    this.tones.dispose();
  }
}
