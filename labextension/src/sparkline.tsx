import * as React from 'react';

import { IMetric } from './api';
import { toNumber } from './format';

export interface ISparklineProps {
  points: IMetric[];
  width?: number;
  height?: number;
}

/** A tiny inline SVG line of a metric history (non-finite points are skipped). */
export function Sparkline({
  points,
  width = 90,
  height = 20
}: ISparklineProps): JSX.Element | null {
  const values = points
    .map(p => ({ x: p.step, y: toNumber(p.value) }))
    .filter(p => Number.isFinite(p.y));
  if (values.length < 2) {
    return null;
  }
  const xs = values.map(p => p.x);
  const ys = values.map(p => p.y);
  const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  const [y0, y1] = [Math.min(...ys), Math.max(...ys)];
  const sx = (x: number) => (x1 === x0 ? 0 : ((x - x0) / (x1 - x0)) * width);
  const sy = (y: number) =>
    y1 === y0 ? height / 2 : height - 1 - ((y - y0) / (y1 - y0)) * (height - 2);
  const path = values
    .map(
      (p, i) => `${i ? 'L' : 'M'}${sx(p.x).toFixed(1)},${sy(p.y).toFixed(1)}`
    )
    .join(' ');
  return (
    <svg
      className="nbtrack-sparkline"
      data-testid="sparkline"
      width={width}
      height={height}
      viewBox={`0 0 ${width} ${height}`}
    >
      <path d={path} />
    </svg>
  );
}
