import { CommandRegistry } from '@lumino/commands';
import { IRenderMime } from '@jupyterlab/rendermime-interfaces';
import { Widget } from '@lumino/widgets';

/**
 * What `%nbtrack_browse --tab` displays: `{"experiment_id", "experiment_name", "request",
 * "created"}`. JupyterLab renders it with this extension, which opens the dashboard tab; any
 * other front end shows the bundle's text/plain fallback.
 */
export const DASHBOARD_MIME = 'application/vnd.nbtrack.dashboard+json';

/** An output opens the tab by itself only this soon after the magic ran (not on re-opening). */
const FRESH_MS = 120_000;

interface IDashboardRequest {
  experiment_id?: string;
  experiment_name?: string;
  request?: string;
  created?: number;
}

/** Requests already acted on in this page, so re-renders never open the tab twice. */
const handled = new Set<string>();

/** The output of `%nbtrack_browse --tab`: opens the dashboard once, then offers a button. */
class DashboardLink extends Widget implements IRenderMime.IRenderer {
  constructor(
    private readonly commands: CommandRegistry,
    private readonly command: string
  ) {
    super();
    this.addClass('nbtrack-dashboard-link');
  }

  async renderModel(model: IRenderMime.IMimeModel): Promise<void> {
    const data = (model.data[DASHBOARD_MIME] ?? {}) as IDashboardRequest;
    const args = { experimentId: data.experiment_id ?? '' };
    const what = data.experiment_name
      ? `experiment “${data.experiment_name}”`
      : 'the newest experiment';
    this.node.textContent = '';
    const text = document.createElement('span');
    text.textContent = `nbtrack dashboard: ${what} opens in a JupyterLab tab. `;
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'jp-Button jp-mod-styled jp-mod-accept';
    button.textContent = 'Open nbtrack dashboard';
    button.dataset.testid = 'open-dashboard-tab';
    button.onclick = () => void this.commands.execute(this.command, args);
    this.node.append(text, button);
    const fresh =
      typeof data.created === 'number' &&
      Math.abs(Date.now() - data.created) < FRESH_MS;
    if (data.request && fresh && !handled.has(data.request)) {
      handled.add(data.request);
      await this.commands.execute(this.command, args);
    }
  }
}

/** The renderer factory for DASHBOARD_MIME, running `command` with `{experimentId}`. */
export function dashboardLinkFactory(
  commands: CommandRegistry,
  command: string
): IRenderMime.IRendererFactory {
  return {
    safe: true,
    mimeTypes: [DASHBOARD_MIME],
    defaultRank: 10,
    createRenderer: () => new DashboardLink(commands, command)
  };
}
