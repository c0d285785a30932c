// The processes an end-to-end test starts (the ledger, WebDriver servers, `bank`), on free
// loopback ports, each in a process group of its own so that everything it starts dies
// with it, even when the test is interrupted.

import { spawn, execFile } from 'node:child_process';
import { createServer, connect } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';

const children = [];

export function freePort() {
  return new Promise((done, fail) => {
    const server = createServer().on('error', fail).listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => done(port));
    });
  });
}

export async function listening(port, what, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const open = await new Promise((done) => {
      const socket = connect(port, '127.0.0.1', () => { socket.end(); done(true); }).on('error', () => done(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`${what} did not listen on ${port}`);
    await new Promise((done) => setTimeout(done, 100));
  }
}

/** Starts a process in a group of its own; `output` is its stdout: 'inherit', 'ignore' or 'pipe'. */
export function start(command, args, env = {}, output = 'inherit') {
  const stdio = ['ignore', output, 'inherit'];
  const child = spawn(command, args, { detached: true, stdio, env: { ...process.env, ...env } });
  children.push(child);
  return child;
}

/** Kills a process started here and everything it started. */
export function stop(child) {
  try { process.kill(-child.pid, 'SIGKILL'); } catch { /* already gone */ }
  const index = children.indexOf(child);
  if (index >= 0) children.splice(index, 1);
}

export function stopAll() {
  for (const child of [...children].reverse()) stop(child);
}

// An interrupted run still takes its processes with it.
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    stopAll();
    process.exit(130);
  });
}

/** Runs the `bank` CLI as a device of `account` (password `demo`); its standard output. */
export async function bank(bin, scratch, port, account, ...args) {
  const storage = join(scratch, `bank-${account}`);
  const common = ['--port', String(port), '--account', account, '--password', 'demo', '--storage-dir', storage];
  const { stdout } = await promisify(execFile)(join(bin, 'bank'), [...common, ...args]);
  return stdout.trim();
}

export function assertEqual(actual, expected, what) {
  if (actual !== expected) throw new Error(`${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
}

export function assertIncludes(text, part, what) {
  if (!String(text).includes(part)) throw new Error(`${what}: expected ${JSON.stringify(text)} to include ${JSON.stringify(part)}`);
}

export function assert(condition, what) {
  if (!condition) throw new Error(what);
}
