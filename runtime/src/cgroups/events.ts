import type { CgroupManager } from './manager';
import { CgroupStats, eventsJson } from './stats';

/** One line of `runc events` output: {"type":"stats","id":"c1","data":{...}} or {"type":"oom","id":"c1"}. */
export function eventLine(type: 'stats' | 'oom', id: string, data?: CgroupStats): string {
  return eventsJson(data === undefined ? { type, id } : { type, id, data });
}

/**
 * Calls `onOom` once per new OOM kill, polling the counter (memory.events on
 * v2, memory.oom_control on v1) every `intervalMs`. Returns a stop function.
 * runc uses an eventfd on v1 and inotify on v2; a poll is simpler and at a
 * 100 ms interval costs nothing measurable.
 */
export function watchOom(m: CgroupManager, onOom: () => void, intervalMs = 100): () => void {
  let last = safeCount(m);
  const timer = setInterval(() => {
    const now = safeCount(m);
    for (; last < now; last++) onOom();
  }, intervalMs);
  return () => clearInterval(timer);
}

function safeCount(m: CgroupManager): bigint {
  try {
    return m.oomKillCount();
  } catch {
    return 0n; // the cgroup is gone: no more events
  }
}
