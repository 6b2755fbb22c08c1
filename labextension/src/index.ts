import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { ILauncher } from '@jupyterlab/launcher';
import { INotebookTracker } from '@jupyterlab/notebook';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { LabIcon } from '@jupyterlab/ui-components';

import { dashboardLinkFactory } from './dashboardLink';
import { DashboardWidget } from './dashboardWidget';
import { ExperimentsPanel } from './panel';
import { insertIntoActiveCell, modelSnippet } from './snippets';

// Drawn by the theme: JupyterLab's icon classes (jp-icon3) set the fill from its variables.
const ICON_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">' +
  '<path class="jp-icon3" d="M3 20h18v2H3zM5 12h3v6H5zm5-5h3v11h-3zm5 3h3v8h-3zM16 2l4 4-1.4 1.4L17 5.8V9h-2V5.8l-1.6 1.6L12 6z"/>' +
  '</svg>';

export const experimentsIcon = new LabIcon({
  name: 'nbtrack:experiments',
  svgstr: ICON_SVG
});

/** The command that opens (or reveals) the dashboard; args: {experimentId?}. */
export const OPEN_DASHBOARD = 'nbtrack:open-dashboard';

/** Adds the "Experiments" sidebar and the main-area dashboard of nbtrack. */
const plugin: JupyterFrontEndPlugin<void> = {
  id: 'nbtrack:sidebar',
  description:
    'Browse nbtrack experiments, runs and registered models beside the notebook.',
  autoStart: true,
  optional: [
    INotebookTracker,
    ILayoutRestorer,
    ICommandPalette,
    ILauncher,
    IRenderMimeRegistry
  ],
  activate: (
    app: JupyterFrontEnd,
    tracker: INotebookTracker | null,
    restorer: ILayoutRestorer | null,
    palette: ICommandPalette | null,
    launcher: ILauncher | null,
    rendermime: IRenderMimeRegistry | null
  ) => {
    let dashboard: DashboardWidget | null = null;
    app.commands.addCommand(OPEN_DASHBOARD, {
      label: 'Open nbtrack dashboard',
      caption:
        'Experiments, runs, charts, compare and models of the nbtrack store',
      icon: experimentsIcon,
      execute: args => {
        const experimentId = (args.experimentId as string) || undefined;
        if (!dashboard || dashboard.isDisposed) {
          dashboard = new DashboardWidget(experimentId, (name, version) =>
            insertIntoActiveCell(tracker, modelSnippet(name, version))
          );
          dashboard.title.icon = experimentsIcon;
          app.shell.add(dashboard, 'main');
        } else if (experimentId) {
          dashboard.showExperiment(experimentId);
        }
        app.shell.activateById(dashboard.id);
      }
    });
    // `%nbtrack_browse --tab` displays a bundle of this MIME type; rendering it opens the tab.
    rendermime?.addFactory(dashboardLinkFactory(app.commands, OPEN_DASHBOARD));
    palette?.addItem({ command: OPEN_DASHBOARD, category: 'nbtrack' });
    launcher?.add({ command: OPEN_DASHBOARD, category: 'Other', rank: 1 });

    const panel = new ExperimentsPanel(tracker, experimentId =>
      app.commands.execute(OPEN_DASHBOARD, { experimentId: experimentId ?? '' })
    );
    panel.title.icon = experimentsIcon;
    panel.title.caption = 'Experiments (nbtrack)';
    panel.title.label = '';
    app.shell.add(panel, 'left', { rank: 600 });
    restorer?.add(panel, 'nbtrack-experiments');
  }
};

export default plugin;
