import * as React from 'react';

import { IExperiment, IRun, listExperiments, searchRuns } from './api';
import { StatusBadge } from './badge';
import {
  formatDuration,
  formatNumber,
  formatShortTime,
  formatTime,
  isLive
} from './format';
import { errorMessage, useInterval, useLoader } from './hooks';

/** How often the runs table reloads while a run is RUNNING... */
export const POLL_MS = 3000;
/** ...and otherwise while the panel is visible, so runs a kernel starts show up. */
export const IDLE_POLL_MS = 10000;
const METRIC_COLUMNS = 3;

export interface IRunsState {
  experimentId: string;
  /** True once the user picked an experiment; until then the newest one is followed. */
  pinned: boolean;
  filter: string;
  selected: string[];
}

export interface IRunsListProps {
  state: IRunsState;
  onChange: (state: IRunsState) => void;
  onOpenRun: (runId: string) => void;
  onCompare: (runIds: string[]) => void;
  refreshToken: number;
  visible: boolean;
}

/** The most recently created experiment: where a new notebook's runs most likely go. */
function newest(experiments: IExperiment[]): IExperiment {
  return experiments.reduce((best, e) =>
    (e.creation_time ?? 0) >= (best.creation_time ?? 0) ? e : best
  );
}

function metricColumns(runs: IRun[]): string[] {
  const keys = new Set<string>();
  runs.forEach(run => Object.keys(run.data.metrics).forEach(k => keys.add(k)));
  return [...keys].sort().slice(0, METRIC_COLUMNS);
}

/** Experiment picker, filter box and the runs table of one experiment. */
export function RunsList(props: IRunsListProps): JSX.Element {
  const { state, onChange } = props;
  const [draft, setDraft] = React.useState(state.filter);
  const [runs, setRuns] = React.useState<IRun[]>([]);
  const [error, setError] = React.useState<string | null>(null);
  const experiments = useLoader(listExperiments, [props.refreshToken]);

  const reload = React.useCallback(async () => {
    if (!state.experimentId) {
      return;
    }
    try {
      const reply = await searchRuns([state.experimentId], {
        filter: state.filter
      });
      setRuns(reply.runs);
      setError(null);
    } catch (reason) {
      setError(errorMessage(reason));
    }
  }, [state.experimentId, state.filter]);

  React.useEffect(() => {
    void reload();
  }, [reload, props.refreshToken]);
  const live = runs.some(isLive);
  useInterval(
    () => {
      void reload();
      if (!live) {
        experiments.reload();
      }
    },
    props.visible ? (live ? POLL_MS : IDLE_POLL_MS) : null
  );

  React.useEffect(() => {
    const list = experiments.value;
    if (!list || !list.length) {
      return;
    }
    const known = list.some(e => e.experiment_id === state.experimentId);
    const follow = newest(list).experiment_id;
    if ((!known || !state.pinned) && follow !== state.experimentId) {
      onChange({ ...state, experimentId: follow, pinned: false, selected: [] });
    }
  }, [experiments.value]);

  const toggle = (runId: string) => {
    const selected = state.selected.includes(runId)
      ? state.selected.filter(id => id !== runId)
      : [...state.selected, runId];
    onChange({ ...state, selected });
  };
  const columns = metricColumns(runs);

  return (
    <div className="nbtrack-runs">
      <ExperimentPicker
        experiments={experiments.value ?? []}
        value={state.experimentId}
        onSelect={id =>
          onChange({ ...state, experimentId: id, pinned: true, selected: [] })
        }
      />
      <form
        className="nbtrack-filter"
        onSubmit={event => {
          event.preventDefault();
          onChange({ ...state, filter: draft.trim() });
        }}
      >
        <input
          className="jp-mod-styled"
          data-testid="filter-input"
          placeholder="filter, e.g. metrics.acc > 0.9 AND params.lr = '0.1'"
          value={draft}
          onChange={event => setDraft(event.target.value)}
        />
        <button className="jp-Button jp-mod-styled jp-mod-accept" type="submit">
          Filter
        </button>
      </form>
      {(error || experiments.error) && (
        <div className="nbtrack-error" data-testid="filter-error">
          {error ?? experiments.error}
        </div>
      )}
      <div className="nbtrack-actions">
        <span>{runs.length} runs</span>
        <button
          className="jp-Button jp-mod-styled"
          data-testid="compare-button"
          disabled={state.selected.length < 2}
          onClick={() => props.onCompare(state.selected)}
        >
          Compare ({state.selected.length})
        </button>
      </div>
      <div className="nbtrack-scroll">
        <table className="nbtrack-table" data-testid="runs-table">
          <thead>
            <tr>
              <th />
              <th>Run</th>
              <th>Status</th>
              <th>Started</th>
              <th>Duration</th>
              {columns.map(key => (
                <th key={key} title={key}>
                  {key}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {runs.map(run => (
              <tr
                key={run.info.run_id}
                className="nbtrack-run-row"
                data-testid="run-row"
                data-run-id={run.info.run_id}
                data-run-name={run.info.run_name}
                onClick={() => props.onOpenRun(run.info.run_id)}
              >
                <td onClick={event => event.stopPropagation()}>
                  <input
                    type="checkbox"
                    data-testid="run-select"
                    checked={state.selected.includes(run.info.run_id)}
                    onChange={() => toggle(run.info.run_id)}
                  />
                </td>
                <td className="nbtrack-run-name">{run.info.run_name}</td>
                <td>
                  <StatusBadge run={run} />
                </td>
                <td title={formatTime(run.info.start_time)}>
                  {formatShortTime(run.info.start_time)}
                </td>
                <td>{formatDuration(run)}</td>
                {columns.map(key => (
                  <td key={key} className="nbtrack-num">
                    {formatNumber(run.data.metrics[key])}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}

function ExperimentPicker(props: {
  experiments: IExperiment[];
  value: string;
  onSelect: (id: string) => void;
}): JSX.Element {
  return (
    <label className="nbtrack-experiment">
      Experiment{' '}
      <select
        className="jp-mod-styled"
        data-testid="experiment-select"
        value={props.value}
        onChange={event => props.onSelect(event.target.value)}
      >
        {props.experiments.map(e => (
          <option key={e.experiment_id} value={e.experiment_id}>
            {e.name}
          </option>
        ))}
      </select>
    </label>
  );
}
