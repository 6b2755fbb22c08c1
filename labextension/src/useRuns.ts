import * as React from 'react';

import { IRun, searchRuns } from './api';
import { isLive } from './format';
import { useInterval } from './hooks';
import { ApiError } from './request';

/** What to search: one query of the runs table. */
export interface IRunsQuery {
  experimentIds: string[];
  filter: string;
  orderBy: string[];
  pageSize: number;
}

/** Runs loaded so far for a query, and how to get more. */
export interface IRunsResult {
  runs: IRun[];
  /** True while the server has runs beyond those loaded. */
  hasMore: boolean;
  loading: boolean;
  error: string | null;
  /** 0-based offset of a filter syntax error, when the server gave one. */
  errorPosition: number | null;
  loadMore: () => void;
  reload: () => void;
}

/** How often to poll while a loaded run is RUNNING, and otherwise while shown. */
export const LIVE_POLL_MS = 3000;
export const IDLE_POLL_MS = 10000;
/** The server's page limit: a poll refreshes at most this many loaded rows. */
const MAX_PAGE = 1000;

interface IState {
  runs: IRun[];
  token: string | null;
  loading: boolean;
  error: string | null;
  errorPosition: number | null;
}

const EMPTY: IState = {
  runs: [],
  token: null,
  loading: false,
  error: null,
  errorPosition: null
};

/** Replace the first ``fresh.length`` rows with ``fresh``; rows of later pages stay. */
function mergeFirstRows(loaded: IRun[], fresh: IRun[]): IRun[] {
  const seen = new Set(fresh.map(r => r.info.run_id));
  return [
    ...fresh,
    ...loaded.slice(fresh.length).filter(r => !seen.has(r.info.run_id))
  ];
}

/**
 * Search runs page by page and keep them fresh.
 *
 * Every request takes a ticket; a reply is applied only if no request was issued after it,
 * so a slow poll can never overwrite the result of a newer filter, sort or page. Polls
 * refresh the rows already loaded (up to the server's page limit) and keep the page token.
 */
export function useRuns(
  query: IRunsQuery,
  options: { active: boolean; refreshToken?: number }
): IRunsResult {
  const [state, setState] = React.useState<IState>(EMPTY);
  const ticket = React.useRef(0);
  const current = React.useRef(state);
  current.current = state;
  const key = JSON.stringify(query);

  const fetchPage = React.useCallback(
    (mode: 'reset' | 'more' | 'poll') => {
      if (!query.experimentIds.length) {
        setState(EMPTY);
        return;
      }
      const mine = ++ticket.current;
      const loaded = current.current.runs.length;
      const pageToken =
        mode === 'more' ? (current.current.token ?? undefined) : undefined;
      const maxResults =
        mode === 'poll'
          ? Math.min(MAX_PAGE, Math.max(query.pageSize, loaded))
          : query.pageSize;
      if (mode !== 'poll') {
        // a reset keeps the old rows on screen until the new ones arrive (no flicker)
        setState(s => ({ ...s, loading: true }));
      }
      searchRuns(query.experimentIds, {
        filter: query.filter,
        orderBy: query.orderBy,
        maxResults,
        pageToken
      }).then(
        reply => {
          if (mine !== ticket.current) {
            return; // a newer request was issued: this reply is stale
          }
          setState(s => {
            const runs =
              mode === 'more'
                ? [...s.runs, ...reply.runs]
                : mode === 'poll'
                  ? mergeFirstRows(s.runs, reply.runs)
                  : reply.runs;
            const token =
              mode === 'poll' && loaded > maxResults
                ? s.token
                : reply.next_page_token;
            return {
              runs,
              token,
              loading: false,
              error: null,
              errorPosition: null
            };
          });
        },
        reason => {
          if (mine !== ticket.current) {
            return;
          }
          setState(s => ({
            ...(mode === 'reset' ? EMPTY : s),
            loading: false,
            error: reason instanceof Error ? reason.message : String(reason),
            errorPosition: reason instanceof ApiError ? reason.position : null
          }));
        }
      );
    },
    [key]
  );

  React.useEffect(() => fetchPage('reset'), [fetchPage, options.refreshToken]);
  const live = state.runs.some(isLive);
  useInterval(
    () => {
      if (!current.current.loading) {
        fetchPage('poll');
      }
    },
    options.active ? (live ? LIVE_POLL_MS : IDLE_POLL_MS) : null
  );

  return {
    runs: state.runs,
    hasMore: state.token !== null,
    loading: state.loading,
    error: state.error,
    errorPosition: state.errorPosition,
    loadMore: () => fetchPage('more'),
    reload: () => fetchPage('reset')
  };
}
