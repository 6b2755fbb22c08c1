import * as React from 'react';

import { getChart, IChart, IRun, ISeries } from '../api';
import { ILine, LineChart, XKind } from '../charts/lineChart';
import { smooth } from '../charts/scales';
import { toNumber } from '../format';
import { errorMessage } from '../hooks';

/** Points asked of the server per line: about two per pixel of a wide chart. */
export const MAX_POINTS = 1000;
const MAX_CHARTS = 24;

/** What the x axis shows; 'auto' is step, or time since the first point when all points share one step. */
export type XChoice = XKind | 'auto';

export interface IChartSettings {
  xKind: XChoice;
  smoothing: number;
  logY: boolean;
}

export interface IChartsViewProps {
  runs: IRun[];
  colorOf: (runId: string) => string;
  settings: IChartSettings;
  onSettings: (settings: IChartSettings) => void;
  /** Keys to draw; all metric keys of the runs when empty. */
  keys?: string[];
  testId?: string;
}

const cache = new Map<string, Promise<IChart>>();

/** One chart's series, fetched once per version of its runs (cached, bounded). */
function loadChart(
  runs: IRun[],
  key: string,
  axis: 'step' | 'time' | 'auto'
): Promise<IChart> {
  const versions = runs.map(
    r =>
      `${r.info.run_id}:${r.info.status}:${String(r.data.metrics[key])}:${r.info.end_time}`
  );
  const id = `${key}|${axis}|${versions.join(',')}`;
  let hit = cache.get(id);
  if (!hit) {
    hit = getChart(
      runs.map(r => r.info.run_id),
      key,
      axis,
      MAX_POINTS
    );
    hit.catch(() => cache.delete(id));
    cache.set(id, hit);
    if (cache.size > 200) {
      cache.delete(cache.keys().next().value as string);
    }
  }
  return hit;
}

function toLine(
  run: IRun,
  series: ISeries,
  settings: IChartSettings,
  kind: XKind,
  color: string
): ILine {
  const ys = smooth(series.value.map(toNumber), settings.smoothing);
  const xs =
    kind === 'step'
      ? series.step
      : kind === 'wall'
        ? series.timestamp
        : series.timestamp.map(t => (t - series.timestamp[0]) / 1000); // since the first point
  return { id: run.info.run_id, label: run.info.run_name, color, xs, ys };
}

/** Controls shared by every chart: x axis, smoothing, log scale. */
export function ChartControls(props: {
  settings: IChartSettings;
  onSettings: (s: IChartSettings) => void;
}): JSX.Element {
  const s = props.settings;
  return (
    <div className="nbtrack-toolbar nbtrack-chart-controls">
      <label>
        X axis{' '}
        <select
          className="jp-mod-styled"
          data-testid="x-axis"
          value={s.xKind}
          onChange={e =>
            props.onSettings({ ...s, xKind: e.target.value as XKind })
          }
        >
          <option value="auto">Auto</option>
          <option value="step">Step</option>
          <option value="wall">Wall time</option>
          <option value="relative">Relative time</option>
        </select>
      </label>
      <label title="Exponential moving average (0 = raw values)">
        Smoothing{' '}
        <input
          type="range"
          min={0}
          max={0.99}
          step={0.01}
          data-testid="smoothing"
          value={s.smoothing}
          onChange={e =>
            props.onSettings({ ...s, smoothing: Number(e.target.value) })
          }
        />
        <span className="nbtrack-num nbtrack-smoothing-value">
          {s.smoothing.toFixed(2)}
        </span>
      </label>
      <label>
        <input
          type="checkbox"
          data-testid="log-scale"
          checked={s.logY}
          onChange={e => props.onSettings({ ...s, logY: e.target.checked })}
        />{' '}
        Log scale
      </label>
    </div>
  );
}

/** A grid of metric charts over the given runs (one chart per metric key). */
export function ChartsView(props: IChartsViewProps): JSX.Element {
  const [search, setSearch] = React.useState('');
  const allKeys = React.useMemo(() => {
    const keys = new Set<string>();
    props.runs.forEach(r =>
      Object.keys(r.data.metrics).forEach(k => keys.add(k))
    );
    return [...keys].sort();
  }, [props.runs]);
  const keys = (props.keys?.length ? props.keys : allKeys)
    .filter(k => k.toLowerCase().includes(search.trim().toLowerCase()))
    .slice(0, MAX_CHARTS);
  if (!props.runs.length) {
    return (
      <div className="nbtrack-empty">
        Select runs in the table to chart them.
      </div>
    );
  }
  return (
    <div className="nbtrack-charts" data-testid={props.testId ?? 'charts-view'}>
      <div className="nbtrack-toolbar">
        <ChartControls
          settings={props.settings}
          onSettings={props.onSettings}
        />
        {!props.keys && (
          <input
            className="jp-mod-styled nbtrack-chart-search"
            placeholder="Find a metric"
            aria-label="Find a metric"
            value={search}
            onChange={e => setSearch(e.target.value)}
          />
        )}
      </div>
      <Legend runs={props.runs} colorOf={props.colorOf} />
      <div className="nbtrack-chart-grid">
        {keys.map(key => (
          <MetricChart
            key={key}
            metric={key}
            runs={props.runs.filter(r => r.data.metrics[key] !== undefined)}
            colorOf={props.colorOf}
            settings={props.settings}
          />
        ))}
      </div>
      {!keys.length && <div className="nbtrack-empty">No metrics match.</div>}
    </div>
  );
}

/** One chart: fetches each run's thinned series, then draws them. */
export function MetricChart(props: {
  metric: string;
  runs: IRun[];
  colorOf: (runId: string) => string;
  settings: IChartSettings;
}): JSX.Element {
  const wanted = props.settings.xKind;
  const [kind, setKind] = React.useState<XKind>(
    wanted === 'auto' ? 'step' : wanted
  );
  const [series, setSeries] = React.useState<Map<string, ISeries>>(new Map());
  const [error, setError] = React.useState<string | null>(null);
  const runKey = props.runs
    .map(
      r =>
        `${r.info.run_id}:${String(r.data.metrics[props.metric])}:${r.info.status}`
    )
    .join(',');
  React.useEffect(() => {
    let current = true;
    const axis =
      wanted === 'auto' ? 'auto' : wanted === 'step' ? 'step' : 'time';
    loadChart(props.runs, props.metric, axis).then(
      chart => {
        if (current) {
          setKind(
            wanted !== 'auto'
              ? wanted
              : chart.x === 'time'
                ? 'relative'
                : 'step'
          );
          setSeries(
            new Map(
              chart.series.map(s => [
                s.run_id,
                { ...s, key: chart.key, x: chart.x }
              ])
            )
          );
          setError(null);
        }
      },
      reason => current && setError(errorMessage(reason))
    );
    return () => {
      current = false;
    };
  }, [runKey, wanted, props.metric]);
  const axis = kind === 'step' ? 'step' : 'time';
  const lines = props.runs
    .filter(r => series.get(r.info.run_id)?.x === axis)
    .map(r =>
      toLine(
        r,
        series.get(r.info.run_id)!,
        props.settings,
        kind,
        props.colorOf(r.info.run_id)
      )
    );
  const total = [...series.values()].reduce((n, s) => n + s.total, 0);
  const drawn = lines.reduce((n, l) => n + l.xs.length, 0);
  const note =
    total > drawn
      ? `${total.toLocaleString()} points, ${drawn.toLocaleString()} drawn`
      : undefined;
  return error ? (
    <div className="nbtrack-error">{error}</div>
  ) : (
    <LineChart
      title={props.metric}
      lines={lines}
      xKind={kind}
      logY={props.settings.logY}
      note={note}
    />
  );
}

/** Run name beside its colour, once for the whole grid. */
function Legend(props: {
  runs: IRun[];
  colorOf: (runId: string) => string;
}): JSX.Element | null {
  if (props.runs.length < 2) {
    return null;
  }
  return (
    <ul className="nbtrack-legend" data-testid="chart-legend">
      {props.runs.map(r => (
        <li key={r.info.run_id} title={`${r.info.run_name}\n${r.info.run_id}`}>
          <i
            className="nbtrack-swatch"
            style={{ background: props.colorOf(r.info.run_id) }}
          />
          {r.info.run_name}
        </li>
      ))}
    </ul>
  );
}
