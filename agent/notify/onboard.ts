/**
 * OnBoardRequest (TR-369 §OnBoardRequest, R-NOT.5/6/6a; TR-181 Controller.{i}.OnBoardingComplete,
 * OnBoardingRestartTime, SendOnBoardRequest(); TP-469 1.101-1.103). Sent to an enabled controller:
 * - at every start while its OnBoardingComplete is false, and when it becomes so (a new enabled
 *   row, Enable turning true, or OnBoardingComplete turning false);
 * - when SendOnBoardRequest() runs (EventSink.onBoardRequest).
 * Always send_resp=true, subscription_id "" (R-NOT.7), retried with the Notify back-off and never
 * expiring until the NotifyResp arrives (R-NOT.6). One request per controller is outstanding at a
 * time. After the NotifyResp, while OnBoardingComplete stays false and OnBoardingRestartTime > 0,
 * another one goes out that many seconds later; OnBoardingComplete turning true cancels that.
 */
import type { DataModel } from '../../datamodel/model.js';
import type { NotifyReq } from '../../proto/index.js';
import type { Clock } from '../clock.js';
import type { Delivery } from './delivery.js';
import { value } from './subscriptions.js';

export interface OnBoardOptions {
  readonly dm: DataModel;
  readonly clock: Clock;
  readonly delivery: Delivery;
  /** USP versions the agent speaks (agent_supported_protocol_versions). */
  readonly supportedProtocols: string;
}

export class OnBoarding {
  /** Controller path → msg_id of its outstanding request. */
  private readonly outstanding = new Map<string, string>();
  private readonly restarts = new Map<string, () => void>();
  private stopped = false;

  constructor(private readonly opts: OnBoardOptions) {}

  /** Sends an OnBoardRequest to the controller at `controllerPath` unless one is outstanding; false when it is not an enabled controller. */
  request(controllerPath: string): boolean {
    const path = controllerPath.endsWith('.') ? controllerPath : `${controllerPath}.`;
    const row = this.opts.dm.tree.get(path);
    if (this.stopped || !row || row.node.path !== 'Device.LocalAgent.Controller.{i}.' || value(row, 'Enable') !== 'true') return false;
    const eid = value(row, 'EndpointID');
    if (!eid) return false;
    this.cancelRestart(path);
    const current = this.outstanding.get(path);
    if (current && this.opts.delivery.isPending(current)) return true;
    const msgId = this.opts.delivery.reliable({ controller: path, endpointId: eid }, this.build(), {
      expires: 0,
      persist: false,
      onAnswered: () => this.answered(path, msgId),
    });
    this.outstanding.set(path, msgId);
    return true;
  }

  /** Every enabled controller whose onboarding is not complete (start-up). */
  requestAll(): void {
    for (const c of this.opts.dm.tree.get('Device.LocalAgent.')?.rows('Controller') ?? []) {
      if (value(c, 'OnBoardingComplete') !== 'true') this.request(c.path);
    }
  }

  /** OnBoardingComplete became true: no restart timer any more. */
  completed(controllerPath: string): void {
    this.cancelRestart(controllerPath);
  }

  stop(): void {
    this.stopped = true;
    for (const c of this.restarts.values()) c();
    this.restarts.clear();
  }

  private answered(path: string, msgId: string): void {
    if (this.outstanding.get(path) === msgId) this.outstanding.delete(path);
    const row = this.opts.dm.tree.get(path);
    if (!row || this.stopped || value(row, 'OnBoardingComplete') === 'true') return;
    const restartS = Number(value(row, 'OnBoardingRestartTime')) || 0;
    if (restartS <= 0) return;
    this.cancelRestart(path);
    this.restarts.set(
      path,
      this.opts.clock.setTimer(() => {
        this.restarts.delete(path);
        const now = this.opts.dm.tree.get(path);
        if (now && value(now, 'OnBoardingComplete') !== 'true') this.request(path);
      }, restartS * 1000),
    );
  }

  private cancelRestart(path: string): void {
    this.restarts.get(path)?.();
    this.restarts.delete(path);
  }

  private async build(): Promise<NotifyReq> {
    const { dm } = this.opts;
    const info = dm.tree.get('Device.DeviceInfo.');
    const read = async (name: string): Promise<string> => {
      const p = info?.node.params.get(name);
      if (!info || !p) return '';
      try {
        return await dm.read(info, p);
      } catch {
        return ''; // the data model logged the failing getter
      }
    };
    return {
      subscriptionId: '',
      onBoardReq: {
        oui: await read('ManufacturerOUI'),
        productClass: await read('ProductClass'),
        serialNumber: await read('SerialNumber'),
        agentSupportedProtocolVersions: this.opts.supportedProtocols,
      },
    };
  }
}
