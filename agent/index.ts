/**
 * The package's library API (`import { createAgent, loadConfig } from 'usp-agent'`): build an
 * agent from a config and platform hooks, start and stop it, and extend its data model through
 * the same Registry the built-in TR-181 objects use (docs/vendor-api.md).
 *
 * ```ts
 * const agent = await createAgent(loadConfig('/etc/usp-agent/config.json'), {
 *   platform: { reboot: async () => { await exec('systemctl reboot'); } },
 *   register: (dm) => dm.param('Device.DeviceInfo.X_ACME-COM_Fan', { type: 'unsignedInt', get: readFanRpm }),
 * });
 * await agent.start();
 * ```
 */
export { createAgent, openCore, softwareVersion, SUPPORTED_USP_VERSIONS } from './agent.js';
export type { Agent, AgentCore, AgentOptions } from './agent.js';
export { ConfigError, loadConfig } from './config.js';
export type { AgentConfig, AgentMtpConfig, ConfigOverrides, ControllerConfig, IdentityConfig } from './config.js';
export { linuxPlatform, RESTART_EXIT_CODE, SUPERVISED_ENV } from './hooks.js';
export type { PlatformConfig, PlatformHooks } from './hooks.js';
export { linuxReadings } from './platform-linux/index.js';
export type { LinuxReadings, NetInterface, ProcessInfo, ProcessorInfo, TemperatureReading } from './platform-linux/index.js';
export { createLogger, SILENT_LOGGER } from './log.js';
export type { Logger, LogLevel } from './log.js';
export { SYSTEM_CLOCK } from './clock.js';
export type { Clock } from './clock.js';
export type { EventSink, OperationResult } from './notify/events.js';
export { PluginError } from './plugins.js';
export type { AgentPlugin, PluginContext } from './plugins.js';

// The registration API and what its callbacks receive.
export { Registry } from '../datamodel/registry.js';
export type { CommandOptions, EventOptions, ObjectOptions, ParamOptions } from '../datamodel/registry.js';
export type {
  CommandArgs,
  CommandContext,
  CommandRunner,
  Getter,
  LiveParent,
  LiveRow,
  ObjectHooks,
  ParamContext,
  RowInit,
  Setter,
  Validator,
} from '../datamodel/nodes.js';
export type { ArgDef, BaseType, ParamAccess, ValueFacets } from '../datamodel/schema/types.js';
export type { Txn } from '../datamodel/txn.js';
export type { DataModel } from '../datamodel/model.js';

// Typed USP errors for validators, setters and commands (TR-369 §Error Codes).
export {
  CommandFailureError,
  InternalError,
  InvalidArgumentsError,
  InvalidCommandArgsError,
  InvalidConfigurationError,
  InvalidValueError,
  ResourcesExceededError,
  UspError,
  UspErrorCode,
  ValueConflictError,
} from '../datamodel/errors.js';
