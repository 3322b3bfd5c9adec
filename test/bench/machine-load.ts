// How much CPU other processes took while a part ran: the numbers of a benchmark on a shared
// machine (tests, builds) are only comparable when this is near 0.
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';

const busyMs = () => cpus().reduce((a, c) => a + c.times.user + c.times.nice + c.times.sys + c.times.irq, 0);

/** CPU seconds of this process (all threads) and of its reaped children (load client, wrk); Linux for children. */
function ownSeconds(): number {
  const self = process.cpuUsage();
  let children = 0;
  try {
    // /proc/self/stat fields 16 and 17 (cutime, cstime) in clock ticks, usually 100 a second
    const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ');
    children = (Number(fields[13]) + Number(fields[14])) / 100;
  } catch {
    // not Linux: children unknown
  }
  return (self.user + self.system) / 1e6 + children;
}

/** Starts measuring; the returned function gives the average cores used by this benchmark and by everything else. */
export function meterLoad(): () => { benchCores: number; otherCores: number } {
  const t0 = performance.now(), busy0 = busyMs(), own0 = ownSeconds();
  return () => {
    const seconds = (performance.now() - t0) / 1000;
    const own = ownSeconds() - own0;
    const all = (busyMs() - busy0) / 1000;
    return { benchCores: own / seconds, otherCores: Math.max(0, all - own) / seconds };
  };
}
