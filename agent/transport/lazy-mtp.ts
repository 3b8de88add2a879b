/**
 * An MTP whose implementation module is loaded when it starts. The MQTT and STOMP client
 * libraries cost ~20 MB of memory once imported; an agent that only speaks WebSocket (the lab
 * default, many gateways) never pays for them. Handlers given before start() are passed on.
 */
import { MtpError } from '../mtp/mtp.js';
import type { InboundRecord, Mtp, MtpAddress, MtpStatus } from '../mtp/mtp.js';

export class LazyMtp implements Mtp {
  private real: Mtp | undefined;
  private stopped = false;
  private readonly recordHandlers: ((rec: InboundRecord) => void)[] = [];
  private readonly statusHandlers: ((status: MtpStatus) => void)[] = [];

  constructor(
    readonly id: string,
    readonly protocol: Mtp['protocol'],
    private readonly load: () => Promise<Mtp>,
  ) {}

  async start(): Promise<void> {
    const real = await this.load();
    // stop() while the module loaded: never start it.
    if (this.stopped) return;
    this.real = real;
    for (const h of this.recordHandlers) real.onRecord(h);
    for (const h of this.statusHandlers) real.onStatus(h);
    await real.start();
  }

  send(bytes: Uint8Array, to: MtpAddress): Promise<void> {
    if (!this.real) return Promise.reject(new MtpError('MTP_NOT_CONNECTED', `${this.id}: not started`));
    return this.real.send(bytes, to);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.real?.stop();
  }

  onRecord(handler: (rec: InboundRecord) => void): void {
    this.recordHandlers.push(handler);
    this.real?.onRecord(handler);
  }

  onStatus(handler: (status: MtpStatus) => void): void {
    this.statusHandlers.push(handler);
    this.real?.onStatus(handler);
  }
}
