#!/usr/bin/env node
/** CLI entry: turns the command line into calls on the agent, and SIGTERM/SIGINT into stop(). No logic. */
import { createAgent, dumpDatabase, initDatabase, resetDatabase, runCli, softwareVersion } from '../agent/agent.js';
import type { AgentConfig } from '../agent/config.js';

/**
 * Runs the agent until SIGTERM or SIGINT, then stops it gracefully: MTPs closed, admin socket
 * removed, database closed after the last transaction. The handlers are installed before the
 * agent starts, so a signal during start-up stops it once it is up instead of killing it half
 * way; a second signal while stopping takes the default action (exit at once).
 */
async function start(config: AgentConfig): Promise<void> {
  const signalled = new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  const agent = await createAgent(config);
  // A rejected promise nobody handled is a bug, but one failed background task (a timer's write
  // to a full disk, a child's exit) must not take every controller's agent down with it: log it
  // with its stack and keep serving. Synchronous exceptions still end the process (the
  // supervisor restarts it), since the state they leave is unknown.
  process.on('unhandledRejection', (reason) => agent.log.error('AGT-E01', 'unhandled promise rejection (a bug; the agent keeps running)', reason));
  await agent.start();
  const sig = await signalled;
  agent.log.info('AGT-I04', `${sig} received, stopping`);
  await agent.stop();
}

await runCli({ start, resetDatabase, initDatabase, dumpDatabase }, softwareVersion(), process.argv);
