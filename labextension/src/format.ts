import { IRun, JsonNumber } from './api';

/** The status shown for a run: RUNNING runs whose process is gone are "STALE". */
export function displayStatus(run: IRun): string {
  return run.stale && run.info.status === 'RUNNING' ? 'STALE' : run.info.status;
}

/** True while the run may still change (so the panel keeps polling). */
export function isLive(run: IRun): boolean {
  return displayStatus(run) === 'RUNNING';
}

export function toNumber(value: JsonNumber): number {
  return typeof value === 'number' ? value : Number(value);
}

export function formatNumber(value: JsonNumber | undefined): string {
  if (value === undefined) {
    return '';
  }
  const num = toNumber(value);
  if (!Number.isFinite(num)) {
    return String(value);
  }
  if (Number.isInteger(num) && Math.abs(num) < 1e9) {
    return String(num);
  }
  return Math.abs(num) >= 1e-3 && Math.abs(num) < 1e6
    ? String(Number(num.toPrecision(4)))
    : num.toExponential(3);
}

export function formatTime(ms: number | null): string {
  if (!ms) {
    return '';
  }
  const date = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, '0');
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ` +
    `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`
  );
}

/** Compact start time for tables: HH:MM:SS today, else MM-DD HH:MM (full time in a title). */
export function formatShortTime(ms: number | null): string {
  if (!ms) {
    return '';
  }
  const full = formatTime(ms);
  const sameDay = new Date(ms).toDateString() === new Date().toDateString();
  return sameDay ? full.slice(11) : full.slice(5, 16);
}

export function formatDuration(run: IRun): string {
  const end = run.info.end_time ?? (isLive(run) ? Date.now() : null);
  if (!end) {
    return '';
  }
  const seconds = Math.max(0, (end - run.info.start_time) / 1000);
  if (seconds < 60) {
    return `${seconds.toFixed(1)} s`;
  }
  if (seconds < 3600) {
    return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
  }
  return `${(seconds / 3600).toFixed(1)} h`;
}

export function formatBytes(size: number | null): string {
  if (size === null) {
    return '';
  }
  const units = ['B', 'KB', 'MB', 'GB'];
  let value = size;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}
