#!/usr/bin/env node
/** CLI entry: turns the command line into calls on the agent, and SIGTERM/SIGINT into stop(). No logic. */
import { createAgent, dumpDatabase, initDatabase, resetDatabase, runCli, softwareVersion } from '../agent/agent.js';
import type { AgentConfig } from '../agent/config.js';

async function start(config: AgentConfig): Promise<void> {
  const agent = await createAgent(config);
  await agent.start();
  await new Promise<void>((resolve) => {
    const stop = (sig: string): void => {
      agent.log.info('AGT-I04', `${sig} received, stopping`);
      agent.stop().then(resolve, resolve);
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
}

await runCli({ start, resetDatabase, initDatabase, dumpDatabase }, softwareVersion(), process.argv);
