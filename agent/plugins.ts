/**
 * Vendor plugins: ES modules named in the config (`plugins`) that export
 * `register(registry, ctx)`. They extend the data model through the same Registry calls the
 * built-in objects use, before it is frozen (STYLE §5). A plugin that cannot be loaded, or whose
 * registration throws, stops start-up with an error naming it.
 */
import { pathToFileURL } from 'node:url';
import type { Registry } from '../datamodel/registry.js';
import type { Clock } from './clock.js';
import type { AgentConfig } from './config.js';
import type { PlatformHooks } from './hooks.js';
import type { Logger } from './log.js';
import type { EventSink } from './notify/events.js';

/** What a plugin gets next to the registry. */
export interface PluginContext {
  readonly config: AgentConfig;
  readonly log: Logger;
  /** Time for the plugin's timers (tests use a fake clock). */
  readonly clock: Clock;
  readonly platform: PlatformHooks;
  /**
   * Where the plugin reports its events (`events.event('Device.X_EXAMPLE-COM_Widget.', 'Alarm!', {...})`).
   * Events reported before the agent runs, or by `usp-agent db` commands, are dropped.
   */
  readonly events: EventSink;
}

/** The shape of a plugin module. */
export interface AgentPlugin {
  register(registry: Registry, ctx: PluginContext): void;
}

export class PluginError extends Error {
  constructor(
    readonly plugin: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(`plugin ${plugin}: ${message}`, options);
    this.name = 'PluginError';
  }
}

function isPlugin(mod: unknown): mod is AgentPlugin {
  return typeof mod === 'object' && mod !== null && typeof (mod as { register?: unknown }).register === 'function';
}

/** Imports every plugin module (in order) and checks that it exports register(). */
export async function loadPlugins(paths: readonly string[]): Promise<{ path: string; plugin: AgentPlugin }[]> {
  const out: { path: string; plugin: AgentPlugin }[] = [];
  for (const path of paths) {
    let mod: unknown;
    try {
      mod = await import(pathToFileURL(path).href);
    } catch (e) {
      throw new PluginError(path, `cannot be loaded: ${(e as Error).message}`, { cause: e });
    }
    if (!isPlugin(mod)) throw new PluginError(path, 'does not export a register(registry, ctx) function');
    out.push({ path, plugin: mod });
  }
  return out;
}

/** Runs each plugin's register(); a throw names the plugin. */
export function registerPlugins(plugins: readonly { path: string; plugin: AgentPlugin }[], registry: Registry, ctx: PluginContext): void {
  for (const { path, plugin } of plugins) {
    try {
      plugin.register(registry, ctx);
    } catch (e) {
      throw new PluginError(path, `register() failed: ${(e as Error).message}`, { cause: e });
    }
    ctx.log.info('PLG-I01', `plugin ${path} registered`);
  }
}

/** An EventSink that forwards to whatever `current()` returns at the time of the event. */
export function forwardEvents(current: () => EventSink): EventSink {
  return {
    event: (objPath, name, params, recipient) => current().event(objPath, name, params, recipient),
    operationComplete: (objPath, name, key, result) => current().operationComplete(objPath, name, key, result),
    onBoardRequest: (path) => current().onBoardRequest(path),
  };
}
