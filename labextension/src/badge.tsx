import * as React from 'react';

import { IRun } from './api';
import { displayStatus } from './format';

/** A coloured RUNNING / FINISHED / FAILED / KILLED / STALE label. */
export function StatusBadge({ run }: { run: IRun }): JSX.Element {
  const status = displayStatus(run);
  return (
    <span
      className={`nbtrack-badge nbtrack-badge-${status.toLowerCase()}`}
      data-testid="status-badge"
      title={
        status === 'STALE'
          ? 'RUNNING, but the process that ran it is gone'
          : status
      }
    >
      {status}
    </span>
  );
}
