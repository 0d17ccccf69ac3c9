/** Machine-wide UDP counters from /proc/net/snmp (Linux): receive-buffer overflows show a receiver that fell behind. */
import { readFileSync } from 'node:fs';

export interface UdpCounters {
  InDatagrams: number;
  OutDatagrams: number;
  RcvbufErrors: number;
  SndbufErrors: number;
  InErrors: number;
}

export function udpCounters(): UdpCounters {
  const lines = readFileSync('/proc/net/snmp', 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('Udp:'));
  const names = lines[0]!.split(/\s+/).slice(1);
  const values = lines[1]!.split(/\s+/).slice(1).map(Number);
  const get = (name: string) => values[names.indexOf(name)] ?? 0;
  return {
    InDatagrams: get('InDatagrams'),
    OutDatagrams: get('OutDatagrams'),
    RcvbufErrors: get('RcvbufErrors'),
    SndbufErrors: get('SndbufErrors'),
    InErrors: get('InErrors'),
  };
}

export function udpDelta(before: UdpCounters, after: UdpCounters): UdpCounters {
  return {
    InDatagrams: after.InDatagrams - before.InDatagrams,
    OutDatagrams: after.OutDatagrams - before.OutDatagrams,
    RcvbufErrors: after.RcvbufErrors - before.RcvbufErrors,
    SndbufErrors: after.SndbufErrors - before.SndbufErrors,
    InErrors: after.InErrors - before.InErrors,
  };
}
