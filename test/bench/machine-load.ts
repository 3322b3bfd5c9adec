// How much CPU other processes took while a part ran: the numbers of a benchmark on a shared
// machine (tests, builds) are only comparable when this is near 0.
import { cpus } from 'node:os';
import { childrenCpuMs } from './proc-stat.js';

const busyMs = () => cpus().reduce((a, c) => a + c.times.user + c.times.nice + c.times.sys + c.times.irq, 0);

/** CPU seconds of this process (all threads) and of its reaped children (load clients, wrk, nginx); Linux for children. */
function ownSeconds(): number {
  const self = process.cpuUsage();
  return (self.user + self.system) / 1e6 + childrenCpuMs() / 1000;
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
