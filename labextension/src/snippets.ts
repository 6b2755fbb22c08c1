import { Notification } from '@jupyterlab/apputils';
import { INotebookTracker } from '@jupyterlab/notebook';

/** Python that loads a run in a notebook. */
export function runSnippet(runId: string): string {
  return `import nbtrack\nrun = nbtrack.TrackingClient().get_run(${JSON.stringify(runId)})`;
}

/** Python that loads one registered model version in a notebook. */
export function modelSnippet(name: string, version: number): string {
  const uri = `models:/${name}/${version}`;
  return `import nbtrack\nmodel = nbtrack.load_model(${JSON.stringify(uri)})`;
}

/** Append ``code`` to the active cell of the current notebook; false if there is none. */
export function insertIntoActiveCell(
  tracker: INotebookTracker | null,
  code: string
): boolean {
  const cell = tracker?.currentWidget?.content.activeCell;
  if (!cell) {
    Notification.warning(
      'Open a notebook and select a cell to insert code into.',
      {
        autoClose: 4000
      }
    );
    return false;
  }
  const shared = cell.model.sharedModel;
  const current = shared.getSource();
  shared.setSource(
    current.trim() ? `${current.replace(/\s+$/, '')}\n${code}` : code
  );
  return true;
}
