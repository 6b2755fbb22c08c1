import * as React from 'react';

import {
  formatDurationTicks,
  formatTicks,
  formatTimeTicks,
  logTicks,
  niceTicks,
  scale
} from './scales';

export type XKind = 'step' | 'wall' | 'relative';

export interface ILine {
  id: string;
  label: string;
  color: string;
  xs: number[];
  ys: number[];
}

export interface ILineChartProps {
  title: string;
  lines: ILine[];
  xKind: XKind;
  logY: boolean;
  height?: number;
  /** Shown under the title, e.g. "1,000,000 points, 1,000 drawn". */
  note?: string;
}

const MARGIN = { top: 8, right: 12, bottom: 22, left: 48 };

/** Width of an element, kept current with a ResizeObserver. */
export function useWidth<T extends HTMLElement>(): [
  React.RefObject<T>,
  number
] {
  const ref = React.useRef<T>(null);
  const [width, setWidth] = React.useState(0);
  React.useLayoutEffect(() => {
    const el = ref.current;
    if (!el) {
      return;
    }
    setWidth(el.clientWidth);
    const observer = new ResizeObserver(() => setWidth(el.clientWidth));
    observer.observe(el);
    return () => observer.disconnect();
  }, []);
  return [ref, width];
}

function extent(values: number[]): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (Number.isFinite(v)) {
      lo = v < lo ? v : lo;
      hi = v > hi ? v : hi;
    }
  }
  return [lo, hi];
}

function xLabels(kind: XKind, ticks: number[]): string[] {
  if (kind === 'wall') {
    return formatTimeTicks(ticks);
  }
  return kind === 'relative' ? formatDurationTicks(ticks) : formatTicks(ticks);
}

/**
 * A path through the finite points; gaps where a value is NaN or infinite. A lone point is
 * a zero-length segment, drawn as a dot by the round line cap.
 */
function linePath(
  xs: number[],
  ys: number[],
  sx: (v: number) => number,
  sy: (v: number) => number,
  logY: boolean
): string {
  const parts: string[] = [];
  let run = 0;
  for (let i = 0; i < xs.length; i++) {
    const y = ys[i];
    if (!Number.isFinite(y) || (logY && y <= 0)) {
      if (run === 1) {
        parts.push('l0.01,0');
      }
      run = 0;
      continue;
    }
    parts.push(`${run ? 'L' : 'M'}${sx(xs[i]).toFixed(1)},${sy(y).toFixed(1)}`);
    run += 1;
  }
  if (run === 1) {
    parts.push('l0.01,0');
  }
  return parts.join('');
}

/** One metric over the chosen runs: axes with round ticks, gridlines, a line per run. */
export function LineChart(props: ILineChartProps): JSX.Element {
  const [ref, width] = useWidth<HTMLDivElement>();
  const height = props.height ?? 180;
  const [hover, setHover] = React.useState<number | null>(null);
  const allX = props.lines.flatMap(l => l.xs);
  const allY = props.lines.flatMap(l =>
    props.logY ? l.ys.filter(v => v > 0) : l.ys
  );
  const [x0, x1] = extent(allX);
  const [y0, y1] = extent(allY);
  const plotW = Math.max(10, width - MARGIN.left - MARGIN.right);
  const plotH = height - MARGIN.top - MARGIN.bottom;
  const empty = !Number.isFinite(x0) || !Number.isFinite(y0);
  const sx = scale(x0, x1, MARGIN.left, MARGIN.left + plotW);
  const sy = scale(y0, y1, MARGIN.top + plotH, MARGIN.top, props.logY);
  const xt = empty
    ? []
    : niceTicks(x0, x1, Math.max(2, Math.floor(plotW / 70)));
  const yt = empty
    ? []
    : props.logY
      ? logTicks(y0, y1, 5)
      : niceTicks(y0, y1, Math.max(2, Math.floor(plotH / 36)));
  const xl = xLabels(props.xKind, xt);
  const yl = formatTicks(yt);
  const hoverX =
    hover === null ? null : x0 + ((hover - MARGIN.left) / plotW) * (x1 - x0);

  return (
    <figure className="nbtrack-chart" data-testid="metric-chart" ref={ref}>
      <figcaption>
        <span className="nbtrack-chart-title" title={props.title}>
          {props.title}
        </span>
        {props.note && <span className="nbtrack-meta">{props.note}</span>}
      </figcaption>
      {width > 0 && (
        <svg
          width={width}
          height={height}
          role="img"
          aria-label={`${props.title} chart`}
          onMouseMove={e =>
            setHover(e.clientX - e.currentTarget.getBoundingClientRect().left)
          }
          onMouseLeave={() => setHover(null)}
        >
          {empty ? (
            <text className="nbtrack-axis-label" x={width / 2} y={height / 2}>
              no finite values
            </text>
          ) : (
            <>
              {yt.map((t, i) => (
                <g key={`y${i}`}>
                  <line
                    className="nbtrack-grid"
                    x1={MARGIN.left}
                    x2={MARGIN.left + plotW}
                    y1={sy(t)}
                    y2={sy(t)}
                  />
                  <text
                    className="nbtrack-tick nbtrack-tick-y"
                    x={MARGIN.left - 4}
                    y={sy(t)}
                  >
                    {yl[i]}
                  </text>
                </g>
              ))}
              {xt.map((t, i) => (
                <text
                  key={`x${i}`}
                  className="nbtrack-tick nbtrack-tick-x"
                  x={sx(t)}
                  y={height - 6}
                >
                  {xl[i]}
                </text>
              ))}
              <line
                className="nbtrack-axis"
                x1={MARGIN.left}
                x2={MARGIN.left + plotW}
                y1={MARGIN.top + plotH}
                y2={MARGIN.top + plotH}
              />
              {props.lines.map(l => (
                <path
                  key={l.id}
                  className="nbtrack-line"
                  data-testid="chart-line"
                  style={{ stroke: l.color }}
                  d={linePath(l.xs, l.ys, sx, sy, props.logY)}
                >
                  <title>{l.label}</title>
                </path>
              ))}
              {hover !== null && hover >= MARGIN.left && (
                <line
                  className="nbtrack-cursor"
                  x1={hover}
                  x2={hover}
                  y1={MARGIN.top}
                  y2={MARGIN.top + plotH}
                />
              )}
            </>
          )}
        </svg>
      )}
      {hoverX !== null && !empty && (
        <HoverValues lines={props.lines} x={hoverX} />
      )}
    </figure>
  );
}

/** The value of each line at the point nearest to ``x`` (binary search on sorted xs). */
function HoverValues(props: { lines: ILine[]; x: number }): JSX.Element {
  const rows = props.lines.map(l => {
    let lo = 0;
    let hi = l.xs.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (l.xs[mid] < props.x) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    const i =
      lo > 0 && Math.abs(l.xs[lo - 1] - props.x) < Math.abs(l.xs[lo] - props.x)
        ? lo - 1
        : lo;
    return { l, y: l.ys[i] };
  });
  return (
    <div className="nbtrack-hover-values">
      {rows.map(({ l, y }) => (
        <span key={l.id} title={l.label}>
          <i className="nbtrack-swatch" style={{ background: l.color }} />
          {l.label}:{' '}
          {y === undefined
            ? ''
            : formatTicks([y])[0] === '0'
              ? '0'
              : Number(y.toPrecision(4))}
        </span>
      ))}
    </div>
  );
}
