/**
 * The seam between what happens in the agent and the notification subsystem (TR-369
 * §Notifications): subsystems report events and completed operations here; the notifier
 * (agent/notify/notifier.ts) matches them against Device.LocalAgent.Subscription.{i} rows and
 * delivers Notify messages. Value changes and object creation/deletion need no call: the
 * notifier listens to committed data-model changes directly.
 */

/** Result of an async command, for the OperationComplete notification (R-OPR.0). */
export type OperationResult =
  { readonly ok: true; readonly outputArgs: Readonly<Record<string, string>> } | { readonly ok: false; readonly errCode: number; readonly errMsg: string };

export interface EventSink {
  /**
   * An event occurred, e.g. `('Device.', 'Boot!', {...})` or
   * `('Device.LocalAgent.', 'TransferComplete!', {...})`. `objPath` is the instance path of the
   * object that holds the event (trailing dot). `recipient`, when given, is the instance path of
   * the one Controller row whose subscriptions may receive it (e.g. BulkData Profile.{i}.Controller
   * for Push!, TR-181); otherwise every matching subscription does.
   */
  event(objPath: string, eventName: string, params: Readonly<Record<string, string>>, recipient?: string): void;
  /** An async command finished (`commandName` with its `()`, e.g. `Download()`). */
  operationComplete(objPath: string, commandName: string, commandKey: string, result: OperationResult): void;
  /**
   * `Device.LocalAgent.Controller.{i}.SendOnBoardRequest()` ran for `controllerPath` (instance
   * path, trailing dot); OnBoardingComplete is already false. Send that controller an
   * OnBoardRequest notification (R-NOT.5/6).
   */
  onBoardRequest(controllerPath: string): void;
}

/** A sink that drops everything, until the notifier is wired in. */
export const NO_EVENTS: EventSink = { event: () => undefined, operationComplete: () => undefined, onBoardRequest: () => undefined };
