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

type AudioContextConstructor = typeof AudioContext;

export class AlertSound {
  private context: AudioContext | null = null;
  private timer: ReturnType<typeof setInterval> | null = null;
  private repeating: string | null = null;
  muted = false;
  /** Everything played, for tests (`window.__argusAlertSound`). */
  readonly played: { level: AlertLevel; at: number }[] = [];

  private audio(): AudioContext | null {
    if (this.context) return this.context;
    const Ctor = (window.AudioContext ?? (window as unknown as { webkitAudioContext?: AudioContextConstructor }).webkitAudioContext) as AudioContextConstructor | undefined;
    if (!Ctor) return null;
    try {
      this.context = new Ctor();
    } catch {
      return null;
    }
    return this.context;
  }

  /** Browsers start audio suspended until a user gesture: call from a click. */
  unlock(): void {
    const ctx = this.audio();
    if (ctx && ctx.state === 'suspended') void ctx.resume().catch(() => undefined);
  }

  private playOnce(level: AlertLevel): void {
    const pattern = SOUND_PATTERNS[level];
    if (!pattern || this.muted) return;
    this.played.push({ level, at: Date.now() });
    const ctx = this.audio();
    if (!ctx) return;
    if (ctx.state === 'suspended') void ctx.resume().catch(() => undefined);
    let t = ctx.currentTime + 0.02;
    for (let i = 0; i < pattern.beeps; i++) {
      const osc = ctx.createOscillator();
      const gain = ctx.createGain();
      osc.type = 'square';
      osc.frequency.value = pattern.frequency;
      gain.gain.setValueAtTime(0.0001, t);
      gain.gain.exponentialRampToValueAtTime(0.25, t + 0.01);
      gain.gain.setValueAtTime(0.25, t + pattern.beepMs / 1000 - 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, t + pattern.beepMs / 1000);
      osc.connect(gain).connect(ctx.destination);
      osc.start(t);
      osc.stop(t + pattern.beepMs / 1000 + 0.01);
      t += (pattern.beepMs + pattern.gapMs) / 1000;
    }
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
    void this.context?.close().catch(() => undefined);
    this.context = null;
  }
}
