import * as React from 'react';

import { useWidth } from './lineChart';
import { formatTicks, niceTicks, scale } from './scales';

/** One run as a polyline or a dot: its label, colour and a value per axis. */
export interface IPlotRun {
  id: string;
  label: string;
  color: string;
  values: (number | string | undefined)[];
}

interface IAxis {
  label: string;
  /** Position 0..1 of a value on the axis (0 = bottom), or null when missing. */
  place: (v: number | string | undefined) => number | null;
  ticks: [number, string][];
}

/** A numeric axis when every present value is a number, else one slot per category. */
function makeAxis(
  label: string,
  values: (number | string | undefined)[]
): IAxis {
  // NaN and infinities are "missing" on a numeric axis, not categories of their own
  const present = values.filter(
    v => v !== undefined && !(typeof v === 'number' && !Number.isFinite(v))
  ) as (number | string)[];
  if (present.every(v => typeof v === 'number' && Number.isFinite(v))) {
    const nums = present as number[];
    const lo = Math.min(...nums);
    const hi = Math.max(...nums);
    const f = scale(lo, hi, 0, 1);
    const ticks = nums.length ? niceTicks(lo, hi, 4) : [];
    const labels = formatTicks(ticks);
    return {
      label,
      place: v => (typeof v === 'number' && Number.isFinite(v) ? f(v) : null),
      ticks: ticks.map((t, i) => [f(t), labels[i]])
    };
  }
  const cats = [...new Set(present.map(String))].sort();
  const at = (c: string) =>
    cats.length === 1 ? 0.5 : cats.indexOf(c) / (cats.length - 1);
  return {
    label,
    place: v => (v === undefined ? null : at(String(v))),
    ticks: cats
      .slice(0, 12)
      .map(c => [at(c), c.length > 12 ? `${c.slice(0, 11)}…` : c])
  };
}

/** Parallel coordinates: one vertical axis per column, one line per run. */
export function ParallelCoordinates(props: {
  axes: string[];
  runs: IPlotRun[];
}): JSX.Element {
  const [ref, width] = useWidth<HTMLDivElement>();
  const height = 260;
  const top = 28;
  const bottom = 20;
  const side = 60;
  const axes = props.axes.map((a, i) =>
    makeAxis(
      a,
      props.runs.map(r => r.values[i])
    )
  );
  const ax = (i: number) =>
    axes.length === 1
      ? width / 2
      : side + (i * (width - 2 * side)) / (axes.length - 1);
  const ay = (p: number) => top + (1 - p) * (height - top - bottom);
  return (
    <div className="nbtrack-plot" ref={ref} data-testid="parallel-coordinates">
      {width > 0 && axes.length > 0 && (
        <svg
          width={width}
          height={height}
          role="img"
          aria-label="Parallel coordinates"
        >
          {props.runs.map(run => {
            const pts = axes
              .map((a, i) => [ax(i), a.place(run.values[i])] as const)
              .filter(([, p]) => p !== null)
              .map(([x, p]) => `${x.toFixed(1)},${ay(p as number).toFixed(1)}`);
            return (
              <polyline
                key={run.id}
                className="nbtrack-line"
                style={{ stroke: run.color }}
                points={pts.join(' ')}
              >
                <title>{run.label}</title>
              </polyline>
            );
          })}
          {axes.map((a, i) => (
            <g key={a.label}>
              <line
                className="nbtrack-axis"
                x1={ax(i)}
                x2={ax(i)}
                y1={top}
                y2={height - bottom}
              />
              <text className="nbtrack-axis-label" x={ax(i)} y={14}>
                <title>{a.label}</title>
                {a.label.length > 18 ? `${a.label.slice(0, 17)}…` : a.label}
              </text>
              {a.ticks.map(([p, text], j) => (
                <text
                  key={j}
                  className="nbtrack-tick nbtrack-tick-y"
                  x={ax(i) - 4}
                  y={ay(p)}
                >
                  {text}
                </text>
              ))}
            </g>
          ))}
        </svg>
      )}
    </div>
  );
}

/** A scatter of two columns, one labelled dot per run. */
export function Scatter(props: {
  x: string;
  y: string;
  runs: IPlotRun[];
}): JSX.Element {
  const [ref, width] = useWidth<HTMLDivElement>();
  const height = 260;
  const m = { top: 10, right: 16, bottom: 34, left: 56 };
  const xa = makeAxis(
    props.x,
    props.runs.map(r => r.values[0])
  );
  const ya = makeAxis(
    props.y,
    props.runs.map(r => r.values[1])
  );
  const px = (p: number) => m.left + p * (width - m.left - m.right);
  const py = (p: number) => m.top + (1 - p) * (height - m.top - m.bottom);
  return (
    <div className="nbtrack-plot" ref={ref} data-testid="scatter">
      {width > 0 && (
        <svg
          width={width}
          height={height}
          role="img"
          aria-label={`${props.y} against ${props.x}`}
        >
          <line
            className="nbtrack-axis"
            x1={m.left}
            x2={width - m.right}
            y1={py(0)}
            y2={py(0)}
          />
          <line
            className="nbtrack-axis"
            x1={m.left}
            x2={m.left}
            y1={m.top}
            y2={py(0)}
          />
          {xa.ticks.map(([p, t], i) => (
            <text
              key={`x${i}`}
              className="nbtrack-tick nbtrack-tick-x"
              x={px(p)}
              y={height - 20}
            >
              {t}
            </text>
          ))}
          {ya.ticks.map(([p, t], i) => (
            <text
              key={`y${i}`}
              className="nbtrack-tick nbtrack-tick-y"
              x={m.left - 4}
              y={py(p)}
            >
              {t}
            </text>
          ))}
          <text
            className="nbtrack-axis-label"
            x={(m.left + width - m.right) / 2}
            y={height - 4}
          >
            {props.x}
          </text>
          {props.runs.map(run => {
            const x = xa.place(run.values[0]);
            const y = ya.place(run.values[1]);
            return x === null || y === null ? null : (
              <circle
                key={run.id}
                className="nbtrack-dot"
                data-testid="scatter-dot"
                cx={px(x)}
                cy={py(y)}
                r={5}
                style={{ fill: run.color }}
              >
                <title>{`${run.label}\n${props.x} = ${run.values[0]}\n${props.y} = ${run.values[1]}`}</title>
              </circle>
            );
          })}
        </svg>
      )}
    </div>
  );
}
