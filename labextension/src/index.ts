import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { INotebookTracker } from '@jupyterlab/notebook';
import { LabIcon } from '@jupyterlab/ui-components';

import { ExperimentsPanel } from './panel';

const ICON_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">' +
  '<path class="jp-icon3" fill="#616161" d="M3 20h18v2H3zM5 12h3v6H5zm5-5h3v11h-3zm5 3h3v8h-3zM16 2l4 4-1.4 1.4L17 5.8V9h-2V5.8l-1.6 1.6L12 6z"/>' +
  '</svg>';

export const experimentsIcon = new LabIcon({
  name: 'nbtrack:experiments',
  svgstr: ICON_SVG
});

/** Adds the "Experiments" panel of nbtrack to the left sidebar. */
const plugin: JupyterFrontEndPlugin<void> = {
  id: 'nbtrack:sidebar',
  description:
    'Browse nbtrack experiments, runs and registered models beside the notebook.',
  autoStart: true,
  optional: [INotebookTracker, ILayoutRestorer],
  activate: (
    app: JupyterFrontEnd,
    tracker: INotebookTracker | null,
    restorer: ILayoutRestorer | null
  ) => {
    const panel = new ExperimentsPanel(tracker);
    panel.title.icon = experimentsIcon;
    panel.title.caption = 'Experiments (nbtrack)';
    panel.title.label = '';
    app.shell.add(panel, 'left', { rank: 600 });
    restorer?.add(panel, 'nbtrack-experiments');
  }
};

export default plugin;
