import * as React from 'react';

import { ReactWidget } from '@jupyterlab/ui-components';
import { Message } from '@lumino/messaging';

import { Dashboard } from './dashboard/dashboard';

/** The main-area dashboard tab ("nbtrack dashboard"). */
export class DashboardWidget extends ReactWidget {
  private shown: { experimentId: string; seq: number } | undefined;

  constructor(
    private readonly experimentId: string | undefined,
    private readonly onInsertCode?: (name: string, version: number) => void
  ) {
    super();
    this.id = 'nbtrack-dashboard';
    this.title.label = 'nbtrack dashboard';
    this.title.caption = 'nbtrack: experiments, runs, charts, compare, models';
    this.title.closable = true;
    this.addClass('nbtrack-dashboard-widget');
  }

  /** Switch the open dashboard to one experiment's runs (e.g. from `%nbtrack_browse --tab`). */
  showExperiment(experimentId: string): void {
    this.shown = { experimentId, seq: (this.shown?.seq ?? 0) + 1 };
    this.update();
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    this.update();
  }

  protected onAfterHide(msg: Message): void {
    super.onAfterHide(msg);
    this.update();
  }

  /** Closing the tab disposes it, so the next "open" builds a fresh dashboard. */
  protected onCloseRequest(msg: Message): void {
    super.onCloseRequest(msg);
    this.dispose();
  }

  protected render(): JSX.Element {
    return (
      <Dashboard
        visible={this.isVisible}
        experimentId={this.experimentId}
        show={this.shown}
        onInsertCode={this.onInsertCode}
      />
    );
  }
}
