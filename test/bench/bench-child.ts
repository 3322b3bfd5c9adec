// Bench helpers run in child processes (tile servers, load clients) so that their CPU is not the
// server's: forked with tsx, and asked over the IPC channel.
import { fork, type ChildProcess } from 'node:child_process';
import { PACKAGE_ROOT } from '../../src/paths.js';

/** Forks a bench module (a path relative to test/bench/) under tsx. */
export function forkBenchChild(file: string): ChildProcess {
  return fork(new URL(file, import.meta.url), [], { execArgv: ['--import', 'tsx'], cwd: PACKAGE_ROOT });
}

/** Sends a message and waits for the child's answer (rejects if it exits first). */
export function ask<T>(child: ChildProcess, message: unknown): Promise<T> {
  return new Promise((resolve, reject) => {
    const onExit = (code: number) => reject(new Error(`child exited with ${code}`));
    child.once('exit', onExit);
    child.once('message', (m) => (child.off('exit', onExit), resolve(m as T)));
    child.send(message as object);
  });
}

/** Runs a one-shot bench child (a load client): sends it its options and answers with its one message. */
export function runBenchChild<T>(file: string, message: unknown): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = forkBenchChild(file);
    child.once('message', (m) => resolve(m as T));
    child.once('error', reject);
    child.once('exit', (code) => code !== 0 && reject(new Error(`${file} exited with ${code}`)));
    child.send(message as object);
  });
}
