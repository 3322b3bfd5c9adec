// CPU time of threads and processes from Linux's /proc. A thread's (task's) schedstat holds the time it
// ran in ns; its stat holds utime and stime (and cutime, cstime: reaped children) in clock ticks, 100 a
// second on Linux, so 10 ms steps. Elsewhere the files are missing: NaN / 0.
import { readFileSync } from 'node:fs';

const TICK_MS = 10;

const read = (path: string): string | undefined => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined; // not Linux, or the thread or process has exited
  }
};

/** The fields of a stat file after the command name ("pid (comm) state ppid ..."): [0] is the state. */
function statFields(path: string): string[] | undefined {
  const text = read(path);
  return text?.slice(text.lastIndexOf(') ') + 2).split(' ');
}

/**
 * CPU ms of one thread, `/proc/<pid>/task/<tid>` (or `/proc/self/task/<tid>`): from its schedstat
 * (ns) where the kernel has one, else from its stat (10 ms steps). NaN when it cannot be read.
 */
export function taskCpuMs(taskDir: string): number {
  const ns = read(`${taskDir}/schedstat`)?.split(' ')[0];
  if (ns !== undefined && ns !== '') return Number(ns) / 1e6;
  const f = statFields(`${taskDir}/stat`);
  return f ? (Number(f[11]) + Number(f[12])) * TICK_MS : NaN;
}

/** CPU ms (user + system) of this process's reaped children; 0 when unknown. */
export function childrenCpuMs(): number {
  const f = statFields('/proc/self/stat');
  return f ? (Number(f[13]) + Number(f[14])) * TICK_MS : 0;
}
