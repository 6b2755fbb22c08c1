import * as React from 'react';

import { INotebookTracker } from '@jupyterlab/notebook';
import { ReactWidget } from '@jupyterlab/ui-components';
import { Message } from '@lumino/messaging';

import { getStoreUri } from './api';
import { CompareRuns } from './compare';
import { useLoader } from './hooks';
import { IconButton } from './icons';
import { ModelsView } from './models';
import { RunDetail } from './runDetail';
import { IRunsState, RunsList } from './runs';
import { insertIntoActiveCell, modelSnippet, runSnippet } from './snippets';
import { StoreSwitcher } from './storeSwitcher';
import { getStoreId } from './request';

type View =
  | { kind: 'runs' }
  | { kind: 'run'; runId: string }
  | { kind: 'compare'; runIds: string[] }
  | { kind: 'models' };

interface IPanelProps {
  tracker: INotebookTracker | null;
  /** Opens the main-area dashboard (on an experiment, if given). */
  openDashboard: (experimentId?: string) => void;
  /** Whether the sidebar is showing: reload on show, poll only while shown. */
  visible: boolean;
}

function Panel({ tracker, visible, openDashboard }: IPanelProps): JSX.Element {
  const [view, setView] = React.useState<View>({ kind: 'runs' });
  const [runsState, setRunsState] = React.useState<IRunsState>({
    experimentId: '',
    pinned: false,
    filter: '',
    selected: []
  });
  const [refreshToken, setRefreshToken] = React.useState(0);
  React.useEffect(() => {
    if (visible) {
      setRefreshToken(t => t + 1);
    }
  }, [visible]);
  const openRun = (runId: string) => setView({ kind: 'run', runId });
  const [storeId, setStoreId] = React.useState(getStoreId());
  const store = useLoader(getStoreUri, [storeId]);
  const tab = view.kind === 'models' ? 'models' : 'runs';

  return (
    <div className="nbtrack-panel" data-testid="nbtrack-panel">
      <div className="nbtrack-header">
        <button
          className={`nbtrack-tab ${tab === 'runs' ? 'nbtrack-active' : ''}`}
          data-testid="tab-runs"
          onClick={() => setView({ kind: 'runs' })}
        >
          Runs
        </button>
        <button
          className={`nbtrack-tab ${tab === 'models' ? 'nbtrack-active' : ''}`}
          data-testid="tab-models"
          onClick={() => setView({ kind: 'models' })}
        >
          Models
        </button>
        <span className="nbtrack-spacer" />
        <IconButton
          icon="dashboard"
          label="Open nbtrack dashboard"
          testId="open-dashboard"
          onClick={() => openDashboard(runsState.experimentId || undefined)}
        />
        <IconButton
          icon="refresh"
          label="Refresh"
          testId="refresh-button"
          onClick={() => setRefreshToken(t => t + 1)}
        />
      </div>
      <StoreSwitcher
        onSwitch={id => {
          setStoreId(id);
          setView({ kind: 'runs' });
          setRunsState({ ...runsState, experimentId: '', selected: [] });
        }}
      />
      <div
        className="nbtrack-store nbtrack-truncate"
        data-testid="store-uri"
        title={`Store: ${store.value ?? ''}`}
      >
        {store.value ? `Store: ${store.value}` : ''}
      </div>
      {(view.kind === 'run' || view.kind === 'compare') && (
        <button
          className="jp-Button jp-mod-styled nbtrack-back"
          data-testid="back-button"
          onClick={() => setView({ kind: 'runs' })}
        >
          ← Back
        </button>
      )}
      <div className="nbtrack-body" key={storeId}>
        {view.kind === 'runs' && (
          <RunsList
            state={runsState}
            onChange={setRunsState}
            onOpenRun={openRun}
            onCompare={runIds => setView({ kind: 'compare', runIds })}
            refreshToken={refreshToken}
            visible={visible}
          />
        )}
        {view.kind === 'run' && (
          <RunDetail
            runId={view.runId}
            refreshToken={refreshToken}
            onInsertCode={runId =>
              insertIntoActiveCell(tracker, runSnippet(runId))
            }
          />
        )}
        {view.kind === 'compare' && (
          <CompareRuns
            runIds={view.runIds}
            refreshToken={refreshToken}
            onOpenRun={openRun}
          />
        )}
        {view.kind === 'models' && (
          <ModelsView
            refreshToken={refreshToken}
            onInsertCode={(name, version) =>
              insertIntoActiveCell(tracker, modelSnippet(name, version))
            }
          />
        )}
      </div>
    </div>
  );
}

/** The left-sidebar "Experiments" widget. */
export class ExperimentsPanel extends ReactWidget {
  constructor(
    private readonly tracker: INotebookTracker | null,
    private readonly openDashboard: (experimentId?: string) => void
  ) {
    super();
    this.id = 'nbtrack-experiments';
    this.addClass('nbtrack-sidebar');
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    this.update();
  }

  protected onAfterHide(msg: Message): void {
    super.onAfterHide(msg);
    this.update();
  }

  protected render(): JSX.Element {
    return (
      <Panel
        tracker={this.tracker}
        visible={this.isVisible}
        openDashboard={this.openDashboard}
      />
    );
  }
}
