/**
 * The server's clock as seen from this browser. A tablet's or a desk's own clock can be minutes
 * off; timers that count from times the server stamped ("en route for 3:12") must count on the
 * server's clock. Every API reply carries an HTTP `Date` header (whole seconds): the reply was made
 * somewhere between sending and receiving, so the offset is known to within a second plus the round
 * trip. Offsets under two seconds are taken as no offset at all (that is within what the header can
 * tell); larger ones are followed, smoothed over replies so one slow reply does not make timers jump.
 */
export class ServerClock {
  #offsetMs = 0;

  /** Server time now, epoch milliseconds. */
  now(): number {
    return Date.now() + this.#offsetMs;
  }

  get offsetMs(): number {
    return this.#offsetMs;
  }

  /** Take in a reply's `Date` header; `sentAt`/`receivedAt` are this browser's clock (epoch ms). */
  observe(dateHeader: string | null, sentAt: number, receivedAt: number): void {
    if (!dateHeader) return;
    const server = Date.parse(dateHeader);
    if (!Number.isFinite(server)) return;
    // The header truncates to the second: the server's clock read somewhere in [server, server + 1000).
    const measured = server + 500 - (sentAt + receivedAt) / 2;
    if (Math.abs(measured) < 2000 && Math.abs(this.#offsetMs) < 2000) {
      this.#offsetMs = 0;
      return;
    }
    this.#offsetMs = this.#offsetMs === 0 ? measured : Math.round(this.#offsetMs * 0.7 + measured * 0.3);
  }
}
