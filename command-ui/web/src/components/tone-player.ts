/**
 * Beeps synthesised with WebAudio (no sound files to ship), shared by the checkpoint terminal's alert
 * tones and the patrol tablet's dispatch tone. The audio context is made on first use; browsers start
 * it suspended until a user gesture, so screens call `unlock()` from a click or touch.
 */
export interface Beep {
  frequency: number;
  ms: number;
  /** Silence after it before the next beep. */
  gapMs: number;
  /** Peak gain, 0..1. */
  gain: number;
}

type AudioContextConstructor = typeof AudioContext;

export class TonePlayer {
  private context: AudioContext | null = null;

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

  unlock(): void {
    const ctx = this.audio();
    if (ctx && ctx.state === 'suspended') void ctx.resume().catch(() => undefined);
  }

  /** Play the beeps one after another, starting now (nothing where the browser has no audio). */
  play(beeps: readonly Beep[]): void {
    const ctx = this.audio();
    if (!ctx) return;
    if (ctx.state === 'suspended') void ctx.resume().catch(() => undefined);
    let t = ctx.currentTime + 0.02;
    for (const beep of beeps) {
      const end = t + beep.ms / 1000;
      const osc = ctx.createOscillator();
      const gain = ctx.createGain();
      osc.type = 'square';
      osc.frequency.value = beep.frequency;
      gain.gain.setValueAtTime(0.0001, t);
      gain.gain.exponentialRampToValueAtTime(beep.gain, t + 0.01);
      gain.gain.setValueAtTime(beep.gain, end - 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, end);
      osc.connect(gain).connect(ctx.destination);
      osc.start(t);
      osc.stop(end + 0.01);
      t = end + beep.gapMs / 1000;
    }
  }

  dispose(): void {
    void this.context?.close().catch(() => undefined);
    this.context = null;
  }
}
