import type { PtzCommand, PtzPreset } from '../../contracts/media.ts';
import { OnvifClient } from './onvif.client.ts';

export interface OnvifProbeResult {
  mainUri: string;
  subUri: string | null;
  snapshotUri: string | null;
  ptz: boolean;
  profileToken: string;
  deviceInfo: Record<string, string>;
}

export interface OnvifTarget {
  address: string;
  username: string | null;
  password: string | null;
  profileToken: string;
}

/**
 * The ONVIF operations the rest of Argus needs, one client per call (cameras are asked rarely:
 * when added, and for PTZ).
 */
export class OnvifDevices {
  constructor(private readonly timeoutMs = 5000) {}

  private client(address: string, username: string | null, password: string | null): OnvifClient {
    return new OnvifClient({ address, username, password, timeoutMs: this.timeoutMs });
  }

  async probe(address: string, username: string | null, password: string | null): Promise<OnvifProbeResult> {
    const client = this.client(address, username, password);
    const info = await client.getDeviceInformation();
    const streams = await client.findStreams();
    return {
      mainUri: streams.main.uri,
      subUri: streams.sub?.uri ?? null,
      snapshotUri: streams.snapshotUri,
      ptz: streams.ptz,
      profileToken: streams.main.profileToken,
      deviceInfo: Object.fromEntries(Object.entries(info).filter((e): e is [string, string] => typeof e[1] === 'string' && e[1] !== '')),
    };
  }

  async ptz(target: OnvifTarget, command: PtzCommand): Promise<{ token?: string }> {
    const client = this.client(target.address, target.username, target.password);
    switch (command.action) {
      case 'move':
        await client.continuousMove(target.profileToken, { x: command.x, y: command.y, zoom: command.zoom }, command.timeoutMs);
        return {};
      case 'stop':
        await client.stop(target.profileToken);
        return {};
      case 'goto':
        await client.gotoPreset(target.profileToken, command.preset);
        return {};
      case 'set':
        return { token: await client.setPreset(target.profileToken, command.name) };
    }
  }

  presets(target: OnvifTarget): Promise<PtzPreset[]> {
    return this.client(target.address, target.username, target.password).getPresets(target.profileToken);
  }
}
